import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteHandlerMethod } from 'fastify';
import { parse, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLInputType, type OperationDefinitionNode } from 'graphql';
import { fieldScopes, grants, type Scope } from '../../auth/scopes.ts';
import type { Db } from '../../db/client.ts';
import { maxPerPage } from '../../domain/assets.ts';
import type { Files } from '../../domain/files/index.ts';
import { createContext } from '../../graphql/context.ts';
import { describeInternalError, forbiddenError, unauthenticatedMessage } from '../../graphql/errors.ts';
import { executeOperation, fixedOperation, type OperationResult } from '../../graphql/execute.ts';
import { schema } from '../../graphql/schema.ts';
import { errorResponses, notJsonMessage, sendError, sendGraphQLError, type RestStatus } from './errors.ts';
import type { JsonSchema } from './json-schema.ts';
import type { Representation } from './representations.ts';
import { bindingsOf, fieldsOfPart, partValidator, requestSchemas, toGraphQLValue, type RequestPart } from './request-schemas.ts';

/**
 * The REST face as a table: each route is one entry saying which fixed GraphQL operation it runs,
 * where the operation's variables come from (path, query string, body, headers), and how the
 * result becomes the contract's JSON. Everything else is derived here, once for every route: the
 * Fastify schemas of params, query, body and responses (from the operation's variable types and
 * the representations it answers with), hence the request validation, the response serializer
 * and the OpenAPI document (@fastify/swagger); the scope the route needs (from the scope table);
 * and the key check, the run, the error mapping and the envelope.
 */
export type RestTag = 'assets' | 'uploads' | 'collections' | 'libraries' | 'keys' | 'webhooks';

export interface RestRoute {
  method: HTTPMethods | HTTPMethods[];
  /** Fastify's path syntax, under /api/v1: `/assets/:asset_id`. */
  url: string;
  operationId: string;
  tag: RestTag;
  summary: string;
  description?: string;
  /** The fixed operation; `...Rest<Type>` spreads name the representations it shows. */
  operation: string;
  /** Path parameter → the variable it fills. Variables bound nowhere else come from the query string, by their snake_case names. */
  params?: Record<string, string>;
  /**
   * The JSON body: `input` is the operation's `$input` (its fields by snake_case name); `variables`
   * gives its fields to the variables of the same names (`asset_ids` → `$assetIds`).
   */
  body?: 'input' | 'variables';
  /** How the operation's data becomes the answer (a custom route may answer otherwise: a file's bytes). */
  answer?: Answer;
  /** Statuses this route answers besides those every route of its shape does, with what they mean here. */
  errors?: Partial<Record<RestStatus, string>>;
  /** A route that reads or sends bytes itself (./routes/files.ts): its handler runs the operation when it is ready to. */
  custom?: {
    handler: (run: RunOperation) => RouteHandlerMethod;
    /** The body it reads itself, for the OpenAPI document, and its media type (an upload's is multipart/form-data). */
    body?: JsonSchema;
    /** The path parameters it reads itself (no operation variable takes them), for the OpenAPI document. */
    params?: JsonSchema;
    /** The query parameters it reads and checks itself (the domain names a bad one), for the OpenAPI document. */
    querystring?: JsonSchema;
    consumes?: string;
    /** Its answers besides the refusals of its shape (a file's bytes, 206, 304 …). */
    responses?: Record<number, unknown>;
    /** Anyone may call it: the handler decides who may (a public asset's download). */
    public?: boolean;
  };
}

/** Where in the data the answer is, how it is shown, and what an absent (null) one means. */
export interface Answer {
  /** Dotted path into the operation's data: `asset`, `library.assets`. */
  path: string;
  kind: 'object' | 'page' | 'list';
  representation: Representation;
  status?: 200 | 201;
  /** The 404's message when the path holds null (an unknown id, or an object of another kind). */
  notFound?: string;
  /** The 2xx answer's description in the OpenAPI document. */
  description: string;
  /** A page's members beside `pagination` (a search's `facets`): each from the page's GraphQL field of the same name. */
  beside?: Record<string, Beside>;
}

export interface Beside {
  schema: JsonSchema;
  toRest(value: unknown): unknown;
}

export const one = (representation: Representation, path: string, description: string, options: Partial<Answer> = {}): Answer => ({
  kind: 'object',
  representation,
  path,
  description,
  ...options,
});
export const page = (representation: Representation, path: string, description: string, options: Partial<Answer> = {}): Answer => ({
  kind: 'page',
  representation,
  path,
  description,
  ...options,
});
export const list = (representation: Representation, path: string, description: string): Answer => ({ kind: 'list', representation, path, description });

/** The component each kind of answer is described by, e.g. `AssetEnvelope`, `AssetList`. */
export function answerSchemaName(answer: Pick<Answer, 'kind' | 'representation'>): string {
  return `${answer.representation.name}${answer.kind === 'object' ? 'Envelope' : 'List'}`;
}

export const paginationSchema: JsonSchema = {
  $id: 'Pagination',
  type: 'object',
  additionalProperties: false,
  required: ['page', 'per_page', 'total', 'total_pages'],
  properties: {
    page: { type: 'integer', minimum: 1 },
    per_page: { type: 'integer', minimum: 1, maximum: maxPerPage },
    total: { type: 'integer', minimum: 0 },
    total_pages: { type: 'integer', minimum: 0, description: 'ceil(total / per_page)' },
  },
};

function answerResponse(answer: Answer) {
  return { description: answer.description, content: { 'application/json': { schema: { $ref: `${answerSchemaName(answer)}#` } } } };
}

/** The envelopes of every representation an answer uses, and the shared error and pagination schemas. */
export function answerSchemas(answers: Pick<Answer, 'kind' | 'representation' | 'beside'>[]): JsonSchema[] {
  const schemas = new Map<string, JsonSchema>();
  for (const answer of answers) {
    const { representation } = answer;
    schemas.set(representation.name, representation.schema);
    const ref = { $ref: `${representation.name}#` };
    const data = answer.kind === 'object' ? ref : { type: 'array', items: ref };
    const beside = Object.fromEntries(Object.entries(answer.beside ?? {}).map(([name, { schema }]) => [name, schema]));
    const envelope: JsonSchema = {
      $id: answerSchemaName(answer),
      type: 'object',
      additionalProperties: false,
      required: answer.kind === 'page' ? ['success', 'data', 'pagination', ...Object.keys(beside)] : ['success', 'data'],
      properties: { success: { const: true }, data, ...(answer.kind === 'page' ? { pagination: { $ref: 'Pagination#' }, ...beside } : {}) },
    };
    schemas.set(envelope.$id as string, envelope);
  }
  return [...schemas.values()];
}

/** The scope rules a fixed operation must meet, in the order it selects them: one per field the scope table names (any scope of a rule meets it). */
export function scopeRulesOf(document: DocumentNode): (readonly Scope[])[] {
  const rules: (readonly Scope[])[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const rule = fieldScopes(typeInfo.getParentType()?.name ?? '', node.name.value);
        if (rule.length) rules.push(rule);
      },
    }),
  );
  return rules;
}

/** Runs the route's operation as the request's key, with the variables the handler gives. */
export type RunOperation = (req: FastifyRequest, variables: Record<string, unknown>) => Promise<OperationResult<Record<string, unknown>>>;

function valueAt(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null | undefined)?.[key], data);
}

export interface RestDeps {
  db: Db;
  files: Files;
}

/** Registers the routes of the table on `app` (the /api/v1 scope). */
export function registerRestRoutes(app: FastifyInstance, routes: readonly RestRoute[], deps: RestDeps) {
  // A path with a HEAD route of its own (a download's, documented) gets no HEAD made from its GET.
  const ownHead = new Set(routes.filter((route) => route.method === 'HEAD').map((route) => route.url));
  for (const route of routes) {
    const document = fixedOperation(parse(`${route.operation}\n${route.answer?.representation.fragments ?? ''}`));
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    const bindings = bindingsOf(route, operation);
    const scopeRules = scopeRulesOf(document);
    // Each scope once, for the documentation.
    const scopes = [...new Set(scopeRules.flat())];
    const isPublic = route.custom?.public ?? false;
    const fields: Record<RequestPart, Map<string, GraphQLInputType>> = {
      params: fieldsOfPart(bindings.params, undefined),
      querystring: fieldsOfPart(bindings.querystring, undefined),
      headers: fieldsOfPart(bindings.headers, undefined),
      body: fieldsOfPart(bindings.body, route.body),
    };
    const requests = requestSchemas(route, bindings);
    const success = route.answer ? { [route.answer.status ?? 200]: answerResponse(route.answer) } : {};
    const responses = { ...success, ...route.custom?.responses };
    // Every answer is serialized from, and documented by, a schema: a route without one for its success is a mistake.
    if (!Object.keys(responses).some((status) => status.startsWith('2')))
      throw new Error(`${route.method} ${route.url} has no response schema for its success`);
    app.route({
      method: route.method,
      url: route.url,
      exposeHeadRoute: !ownHead.has(route.url),
      config: { swagger: { exposeHeadRoute: route.method === 'HEAD' } },
      schema: {
        operationId: route.operationId,
        tags: [route.tag],
        summary: route.summary,
        description: [route.description, scopeSentence(scopes, isPublic)].filter(Boolean).join(' '),
        security: isPublic ? [{}, { apiKey: scopes }] : [{ apiKey: scopes }],
        ...(route.custom?.consumes ? { consumes: [route.custom.consumes] } : {}),
        ...requests,
        response: {
          ...responses,
          ...errorResponses(
            {
              parameters: 'params' in requests,
              input: 'querystring' in requests || 'body' in requests,
              body: 'body' in requests,
              idempotent: 'idempotency-key' in bindings.headers,
              scoped: scopes.length > 0,
              changes: operation.operation === 'mutation',
              notFound: route.answer?.notFound,
            },
            route.errors,
          ),
        },
      } as FastifySchema,
      validatorCompiler: ({ schema: documented, httpPart }) => {
        // A custom route reads its own body (a multipart upload) and query: their schemas only document them.
        if (route.custom && (httpPart === 'body' || (httpPart === 'querystring' && route.custom.querystring))) return () => true;
        return partValidator(documented as JsonSchema, httpPart as RequestPart, fields[httpPart as RequestPart]);
      },
      // Without a valid key: 401 before anything else (the key was checked before the body, src/http/access.ts);
      // without a scope the operation needs: 403, before the request is validated, as the operation would answer.
      onRequest: isPublic ? undefined : (req, reply, done) => refuseWithoutScope(req, reply, scopeRules, done),
      preValidation: requests.body && !route.custom ? requireJson : undefined,
      handler: route.custom ? route.custom.handler(operationRunner(document, deps)) : runOperation(route, route.answer!, document, bindings, deps),
    });
  }
}

function refuseWithoutScope(req: FastifyRequest, reply: FastifyReply, scopeRules: (readonly Scope[])[], done: () => void) {
  if (!req.principal) return void sendError(reply, 401, unauthenticatedMessage);
  const unmet = scopeRules.find((rule) => !grants(req.principal!.scopes, rule));
  if (unmet) return void sendError(reply, 403, forbiddenError(unmet[0]).message);
  done();
}

function scopeSentence(scopes: Scope[], isPublic: boolean): string {
  if (!scopes.length) return '';
  const sentence = `Required scope${scopes.length > 1 ? 's' : ''}: ${scopes.map((scope) => `\`${scope}\``).join(' and ')}.`;
  return isPublic ? `Public assets need no key; any other needs a key of the asset's workspace. ${sentence}` : sentence;
}

/** A write's body is JSON: anything else is refused before it is read as such. */
function requireJson(req: FastifyRequest, reply: FastifyReply, done: () => void) {
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) return void sendError(reply, 415, notJsonMessage);
  done();
}

function operationRunner(document: DocumentNode, { db, files }: RestDeps): RunOperation {
  return (req, variables) =>
    executeOperation(document, variables, createContext(db, files, req.principal), (error) => req.log.error(describeInternalError(error), 'unexpected error'));
}

/** The handler of a route that runs its operation: variables from the request, the answer from the data. */
function runOperation(route: RestRoute, answer: Answer, document: DocumentNode, bindings: ReturnType<typeof bindingsOf>, deps: RestDeps): RouteHandlerMethod {
  const run = operationRunner(document, deps);
  const sources = [
    ['params', bindings.params],
    ['query', bindings.querystring],
    ['headers', bindings.headers],
    ['body', route.body === 'variables' ? bindings.body : {}],
  ] as const;
  const input = route.body === 'input' ? bindings.body[''] : undefined;
  return async (req, reply) => {
    const variables: Record<string, unknown> = {};
    for (const [part, bound] of sources) {
      const values = req[part] as Record<string, unknown> | undefined;
      for (const [name, { variable, type }] of Object.entries(bound)) variables[variable] = toGraphQLValue(values?.[name], type);
    }
    if (input) variables[input.variable] = toGraphQLValue(req.body, input.type);
    return sendAnswer(reply, answer, await run(req, variables));
  };
}

/** The contract's answer to an operation's result: its error, a 404 for an absent object, or the envelope. */
export function sendAnswer(reply: FastifyReply, answer: Answer, result: OperationResult<Record<string, unknown>>) {
  if (result.errors?.length) return sendGraphQLError(reply, result.errors);
  const found = valueAt(result.data, answer.path);
  if (found === null || found === undefined) return sendError(reply, 404, answer.notFound ?? 'Not found');
  const { toRest } = answer.representation;
  if (answer.kind === 'object') return reply.status(answer.status ?? 200).send({ success: true, data: toRest(found as Record<string, unknown>) });
  if (answer.kind === 'list') return reply.send({ success: true, data: (found as Record<string, unknown>[]).map(toRest) });
  const { items, page, perPage, total, totalPages } = found as {
    items: Record<string, unknown>[];
    page: number;
    perPage: number;
    total: number;
    totalPages: number;
  };
  const beside = Object.fromEntries(
    Object.entries(answer.beside ?? {}).map(([name, { toRest: besideToRest }]) => [name, besideToRest((found as Record<string, unknown>)[name])]),
  );
  return reply.send({ success: true, data: items.map(toRest), pagination: { page, per_page: perPage, total, total_pages: totalPages }, ...beside });
}
