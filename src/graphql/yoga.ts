import { useEngine } from '@envelop/core';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, isAsyncIterable, type GraphQLParams, type Plugin } from 'graphql-yoga';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { execute, GraphQLError, parse, subscribe, type ParseOptions, type ValidationRule } from 'graphql';
import { measuredPhase, observeOperation, secondsSince } from '../metrics.ts';
import { inExecuteSpan } from '../tracing.ts';
import { notJsonMessage } from '../rest/v1/errors.ts';
import { createContext, type Context } from './context.ts';
import { codeOfStatus, ErrorCode, graphqlErrorBody, toClientError } from './errors.ts';
import { explainVariableErrors } from './input-errors.ts';
import type { GraphQLRequestDeps } from './json-post.ts';
import { documentOf, type PersistedOperations } from './persisted-operations.ts';
import { schema } from './schema.ts';

/** Variables of the wrong type come back as BAD_USER_INPUT errors naming the field. */
const useFieldNamedVariableErrors: Plugin = {
  onExecute: ({ args }) => ({
    onExecuteDone: ({ result, setResult }) => {
      if (!('errors' in result) || !result.errors?.length || result.data !== undefined) return;
      const explained = explainVariableErrors(args.schema, args.document, args.variableValues ?? undefined, args.operationName);
      if (explained.length) setResult({ errors: explained });
    },
  }),
};

/**
 * The metrics (src/metrics.ts) and spans (src/tracing.ts) of what yoga runs, as the other paths
 * record them: parse and validate through measuredPhase, execution in a span of its own.
 */
const useOperationMetrics: Plugin = {
  onParse: ({ parseFn, setParseFn }) => setParseFn((...args) => measuredPhase('parse', () => parseFn(...args))),
  onValidate: ({ validateFn, setValidationFn }) => setValidationFn((...args) => measuredPhase('validate', () => validateFn(...args))),
  onExecute: ({ args, executeFn, setExecuteFn }) => {
    const start = process.hrtime.bigint();
    setExecuteFn((executeArgs) => inExecuteSpan(executeArgs.document, executeArgs.operationName, async () => executeFn(executeArgs)));
    return {
      onExecuteDone: ({ result }) => {
        if (!isAsyncIterable(result)) observeOperation(args.document, args.operationName, result, secondsSince(start));
      },
    };
  },
};

/** Adds the query limits (./limits.ts) to yoga's parsing and validation, as the JSON POST path does. */
function useQueryLimits(rules: ValidationRule[], parseOptions: ParseOptions): Plugin {
  return {
    onParse: ({ setParseFn }) => setParseFn((source) => parse(source, parseOptions)),
    onValidate: ({ addValidationRule }) => rules.forEach(addValidationRule),
  };
}

/** The document a request runs: its own, or the persisted one its id names (./persisted-operations.ts). */
function usePersistedOperations(persisted: PersistedOperations, principalOf: GraphQLServerOptions['principalOf']): Plugin<{}, { req: FastifyRequest }> {
  return {
    onParams: async ({ params, request, setParams, context }) => {
      // yoga's GET parser keeps only GraphQL over HTTP's four parameters: documentId is read here.
      const documentId = request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : undefined;
      const document = documentOf({ ...params, ...(documentId ? { documentId } : {}) }, await principalOf(context.req), persisted);
      // Thrown, not set as the result: yoga's own parameter checks come after this hook.
      if (document instanceof GraphQLError) throw document;
      const { documentId: _, ...rest } = params as GraphQLParams & { documentId?: unknown };
      setParams({ ...rest, query: document });
    },
  };
}

/** A request refused before it is run, with its status whatever the Accept header. */
function refusal(status: number, message: string) {
  return new GraphQLError(message, { extensions: { code: codeOfStatus(status), http: { status } } });
}

/** What a request parser of yoga's threw, as the client may see it. */
function unreadable(error: unknown, method: string): unknown {
  if ((error as Error)?.name === 'AbortError') return error;
  if (error instanceof GraphQLError) {
    if (error.extensions.http?.status === 413) return refusal(413, error.message);
    // yoga's own words, without the multipart parser's that it appends
    return refusal(400, error.message.replace(/^(POST body sent invalid multipart data):.*$/s, '$1'));
  }
  // The GET parser's JSON.parse, the one parser that throws something else.
  return refusal(400, method === 'GET' ? 'The variables and extensions parameters must be valid JSON' : 'The request cannot be read');
}

/**
 * Refusals of a request that is not a GraphQL request, with the README's statuses, in GraphQL's
 * shape: 400 whatever the Accept header (yoga answered a missing query 200 under application/json,
 * and a multipart form whose operations or map is not JSON 200 always), 415 when nothing reads the
 * body and 406 when the Accept header allows no JSON (both had empty bodies); never a parser's own
 * error (yoga sent it in extensions.originalError). A JSON body is the one Fastify parsed, with its
 * limit and prototype-poisoning checks (yoga took `{}` or `[]` for no body and answered "invalid JSON").
 */
const useRequestRefusals: Plugin<{}, { req: FastifyRequest }> = {
  onRequestParse: ({ request, requestParser, serverContext, setRequestParser }) => {
    const { body } = serverContext.req;
    if (body !== undefined) return setRequestParser(() => body as GraphQLParams);
    if (!requestParser) return setRequestParser(() => Promise.reject(refusal(415, notJsonMessage)));
    setRequestParser(async (req) => {
      try {
        return await requestParser(req);
      } catch (error) {
        throw unreadable(error, request.method);
      }
    });
  },
  onResultProcess: ({ result, setResult, resultProcessor, setResultProcessor }) => {
    if (!resultProcessor) {
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(graphqlErrorBody('Accept must allow application/json or application/graphql-response+json', ErrorCode.notAcceptable), {
            status: 406,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        'application/json',
      );
    }
    if (Array.isArray(result) || isAsyncIterable(result)) return;
    // yoga's refusals that GraphQL over HTTP lets answer 200 under application/json ("spec")
    const refused = (error: GraphQLError) => error.extensions?.code === ErrorCode.badRequest && (error.extensions.http as { spec?: boolean } | undefined)?.spec;
    if (result.errors?.some(refused)) setResult({ ...result, errors: result.errors.map((error) => (refused(error) ? refusal(400, error.message) : error)) });
  },
};

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

export interface GraphQLServerOptions extends GraphQLRequestDeps {
  endpoint: string;
  /** Largest file in a GraphQL multipart request: yoga parses the form into memory before executing. */
  uploadLimitBytes: number;
}

export function createGraphQLServer({
  endpoint,
  db,
  files,
  principalOf,
  limitRules,
  parseOptions,
  persisted,
  onInternalError,
  uploadLimitBytes,
}: GraphQLServerOptions) {
  return createYoga<{ req: FastifyRequest; reply: FastifyReply }, Context>({
    schema,
    graphqlEndpoint: endpoint,
    logging: false,
    // GraphiQL's page is served as static files (./graphiql.ts), before a request reaches yoga.
    graphiql: false,
    landingPage: false,
    // GraphQL over HTTP's persisted-operation id, read by usePersistedOperations.
    extraParamNames: ['documentId'],
    // One file per request, held in memory while yoga parses the form: bounded here.
    fetchAPI: createFetch({ formDataLimits: { fileSize: uploadLimitBytes, files: 1, fields: 2, fieldSize: 64 * 1024, parts: 3 } }),
    // CORS is the app's (@fastify/cors), one policy for /graphql and /api/v1.
    cors: false,
    maskedErrors: {
      maskError: (error) => toClientError(error, onInternalError),
    },
    context: async ({ req }) => {
      const lastEventId = req.headers['last-event-id'];
      return createContext(db, files, await principalOf(req), typeof lastEventId === 'string' ? lastEventId : undefined);
    },
    plugins: [
      // graphql-js's own executor, as the JSON POST path and the REST shims run: one engine, so the
      // answers agree byte for byte (key order included), and yoga's @graphql-tools/executor@2
      // (which needs Node 22) is not on the request path.
      useEngine({ execute, subscribe }),
      // Off (the default), a request's document is its own: no hook per request.
      ...(persisted.mode === 'off' ? [] : [usePersistedOperations(persisted, principalOf)]),
      useQueryLimits(limitRules, parseOptions),
      useFieldNamedVariableErrors,
      useOperationMetrics,
      useRequestRefusals,
    ],
  });
}
