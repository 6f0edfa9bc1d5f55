import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../src/auth/scopes.ts';
import type { Rules } from '../../src/graphql/rules.ts';
import { schema } from '../../src/graphql/schema.ts';
import { openApiDocument } from '../../src/rest/v1/index.ts';
import { useTestApp } from '../helpers/app.ts';
import { serverUrl } from '../helpers/database.ts';

/**
 * The bad-input table, generated: every text input of every GraphQL field (arguments and input
 * fields at any depth) and of every REST route (path, query, header, body), read from the schema
 * and from the OpenAPI document the route table writes, gets hostile text: NUL, a lone surrogate,
 * one character over its limit, control and bidirectional characters where its kind refuses them.
 * Each must be refused naming the field (400 / BAD_USER_INPUT), never stored and never a 5xx. IDs
 * are not text: hostile ones must answer as unknown (4xx / null), never a 5xx. A field added
 * tomorrow is in this table without anyone writing a line here.
 */
const t = useTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
let key = '';
const fixtures: Record<string, string> = {};

beforeAll(async () => {
  // Every scope: a key without a field's scope is refused for that before its input is read.
  key = await t.newKey([...allScopes]);
  const gql = async (query: string) =>
    (await t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${key}` }, payload: { query } })).json().data;
  fixtures.Library = (await gql('mutation { createLibrary(input: { name: "Lib" }) { id } }')).createLibrary.id;
  fixtures.CollectionAsset = (await gql('mutation { createAsset(input: { title: "Coll", assetType: COLLECTION }) { id } }')).createAsset.id;
  fixtures.PdfAsset = (await gql('mutation { createAsset(input: { title: "Pdf", assetType: PDF }) { id } }')).createAsset.id;
  fixtures.prefix = (await gql('mutation { createApiKey(input: { name: "k", scopes: ["read:assets"] }) { apiKey { prefix } } }')).createApiKey.apiKey.prefix;
});

type Kind = 'line' | 'multiline';
/** Hostile text for a text input of this kind and length limit, by what it breaks. */
function hostile(kind: Kind, maxLength: number): [string, string][] {
  return [
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['one character too many', 'x'.repeat(maxLength + 1)],
    ['a bell', 'a\u0007b'],
    ...(kind === 'line' ? ([['a right-to-left override', 'a\u202eb']] as [string, string][]) : []),
  ];
}
const hostileIds: [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['a lone surrogate', '\ud800'],
  ['5,000 characters', 'x'.repeat(5000)],
];

// GraphQL ---------------------------------------------------------------------------------------

interface TextInput {
  /** Where: `Mutation.createLibrary(input).name`. */
  where: string;
  parent: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  /** The argument, then input fields down to the leaf. */
  path: string[];
  leaf: GraphQLArgument | GraphQLInputField;
  kind: Kind | 'id';
  maxLength: number;
}

/** Every String, URL or ID leaf under this input, with its path. */
function leavesOf(input: GraphQLArgument | GraphQLInputField, path: string[], itemLength?: number): Omit<TextInput, 'where' | 'parent' | 'field'>[] {
  const type = getNullableType(input.type);
  const rules = input.extensions as Rules | undefined;
  if (isListType(type)) return leavesOf({ ...input, type: type.ofType } as GraphQLInputField, path, rules?.jsonSchema?.items?.maxLength);
  if (isInputObjectType(type)) return Object.values(type.getFields()).flatMap((field) => leavesOf(field, [...path, field.name]));
  const name = getNamedType(type).name;
  if (name === 'ID') return [{ path, leaf: input, kind: 'id', maxLength: 0 }];
  if (name !== 'String' && name !== 'URL') return [];
  return [{ path, leaf: input, kind: rules?.text ?? 'line', maxLength: itemLength ?? rules?.jsonSchema?.maxLength ?? Number.NaN }];
}

const textInputs: TextInput[] = Object.values(schema.getTypeMap())
  .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'))
  .flatMap((parent) =>
    Object.values(parent.getFields()).flatMap((field) =>
      field.args.flatMap((arg) =>
        leavesOf(arg, [arg.name]).map((leaf) => ({ ...leaf, parent, field, where: `${parent.name}.${field.name}(${leaf.path.join('.')})` })),
      ),
    ),
  );

/** A value of this input type that passes its type (the text rule runs before anything reads it). */
function validValue(type: GraphQLInputType): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [validValue(inner.ofType)];
  if (isEnumType(inner)) return inner.getValues()[0].name;
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).flatMap((field) => (isNonNullType(field.type) ? [[field.name, validValue(field.type)]] : [])));
  }
  const scalar = getNamedType(inner).name;
  const values: Record<string, unknown> = {
    String: 'x',
    ID: '00000000-0000-4000-8000-000000000000',
    URL: 'https://example.com/',
    Int: 1,
    SafeInt: 1,
    Float: 1,
    Boolean: false,
    DateTime: '2999-01-01T00:00:00Z',
  };
  if (!(scalar in values)) throw new Error(`No valid value for ${scalar}: add one to the table`);
  return values[scalar];
}

function withValueAt(base: unknown, path: string[], value: unknown, type: GraphQLInputType): unknown {
  if (!path.length) return isListType(getNullableType(type)) ? [value] : value;
  const inner = getNullableType(type);
  if (isListType(inner)) return [withValueAt(validValue(inner.ofType), path, value, inner.ofType)];
  if (!isInputObjectType(inner)) throw new Error(`cannot reach ${path.join('.')}`);
  const [name, ...rest] = path;
  const field = inner.getFields()[name];
  return { ...(base as object), [name]: withValueAt(validValue(field.type), rest, value, field.type) };
}

/** The request putting `value` at the input's place, every other required argument valid. */
function graphqlRequest(input: TextInput, value: unknown) {
  const { field, parent, path } = input;
  const args = field.args.filter((arg) => arg.name === path[0] || isNonNullType(arg.type));
  const variables = Object.fromEntries(
    args.map((arg) => [arg.name, arg.name === path[0] ? withValueAt(validValue(arg.type), path.slice(1), value, arg.type) : validValue(arg.type)]),
  );
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  const call = `${field.name}(${args.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})${selection}`;
  const definitions = args.map((arg) => `$${arg.name}: ${arg.type}`).join(', ');
  const kind = parent === schema.getMutationType() ? 'mutation' : parent === schema.getSubscriptionType() ? 'subscription' : 'query';
  let body = call;
  if (parent !== schema.getQueryType() && parent !== schema.getMutationType() && parent !== schema.getSubscriptionType()) {
    // A field below the root is reached through node(id:) on an object of its type made for this test.
    const id = fixtures[parent.name];
    if (!id) throw new Error(`${input.where}: no fixture of type ${parent.name}; make one in beforeAll`);
    body = `node(id: "${id}") { ... on ${parent.name} { ${call} } }`;
  }
  return { query: `${kind}${definitions ? `(${definitions})` : ''} { ${body} }`, variables };
}

/**
 * The answer to the request, as JSON. A subscription goes over SSE: a refused one answers one
 * `next` event with the errors, then completes (one that started would stream on and time out).
 */
async function sendWith(input: TextInput, value: unknown) {
  const subscription = input.parent === schema.getSubscriptionType();
  const response = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${key}`, ...(subscription ? { accept: 'text/event-stream' } : {}) },
    payload: graphqlRequest(input, value),
  });
  if (!subscription) return response;
  const data = /^data: (.*)$/m.exec(response.body)?.[1];
  return { statusCode: response.statusCode, body: data ?? response.body, json: () => JSON.parse(data ?? 'null') };
}

describe('every GraphQL text input', () => {
  it('is found in the schema, each with a length limit', () => {
    const text = textInputs.filter((input) => input.kind !== 'id');
    // The ones found refused with a 500 or stored as U+FFFD before the text rule covered every input.
    for (const where of [
      'Mutation.createAsset(input.filePath)',
      'Mutation.createLibrary(input.name)',
      'Mutation.updateLibrary(input.description)',
      'Mutation.revokeApiKey(prefix)',
    ]) {
      expect(text.map((input) => input.where)).toContain(where);
    }
    expect(text.filter((input) => !(input.maxLength > 0)).map((input) => input.where)).toEqual([]);
    expect(text.length).toBeGreaterThanOrEqual(20);
  });

  const textCases = textInputs
    .filter((input) => input.kind !== 'id')
    .flatMap((input) => hostile(input.kind as Kind, input.maxLength).map(([what, value]) => ({ name: `${input.where}: ${what}`, input, value })));
  it.each(textCases)('$name is refused naming it', async ({ input, value }) => {
    const response = await sendWith(input, value);
    expect(response.statusCode).toBe(200);
    const [error] = response.json().errors ?? [];
    expect(error, response.body.slice(0, 300)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: input.leaf.name } });
  });

  const idCases = textInputs
    .filter((input) => input.kind === 'id')
    .flatMap((input) => hostileIds.map(([what, value]) => ({ name: `${input.where}: ${what}`, input, value })));
  it.each(idCases)('$name names nothing, without a 5xx', async ({ input, value }) => {
    const response = await sendWith(input, value);
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('INTERNAL_SERVER_ERROR');
  });
});

// REST ------------------------------------------------------------------------------------------

type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  maxLength?: number;
};
interface Operation {
  parameters?: { in: 'path' | 'query' | 'header'; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
const document = (await openApiDocument()) as { paths: Record<string, Record<string, Operation>> };
const isString = (schema: JsonSchema) => ([] as unknown[]).concat(schema.type).includes('string') && !schema.enum;

function validJson(schema: JsonSchema): unknown {
  const types = ([] as unknown[]).concat(schema.type);
  if (schema.enum) return schema.enum.find((value) => value !== null);
  if (types.includes('array')) return [validJson(schema.items ?? {})];
  if (types.includes('object')) return Object.fromEntries((schema.required ?? []).map((name) => [name, validJson(schema.properties![name])]));
  if (types.includes('integer') || types.includes('number')) return 1;
  if (types.includes('boolean')) return false;
  if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  if (schema.format === 'uri') return 'https://example.com/';
  if (schema.format === 'date-time') return '2999-01-01T00:00:00Z';
  return 'x';
}

interface RestCase {
  name: string;
  method: string;
  /** A function: the fixtures its path names exist only once the tests run. */
  url: () => string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The field a 400 must name; undefined: an id, which must answer 4xx as unknown. */
  field?: string;
}

const pathValues: Record<string, () => string> = {
  asset_id: () => fixtures.CollectionAsset,
  library_id: () => fixtures.Library,
  member_id: () => fixtures.PdfAsset,
  prefix: () => fixtures.prefix,
};

function restCases(): RestCase[] {
  const cases: RestCase[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (method === 'head') continue;
      const url = (params: Record<string, string> = {}) =>
        `/api/v1${template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? encodeURIComponent(pathValues[name]?.() ?? 'x'))}`;
      const body = operation.requestBody?.content['application/json']?.schema; // an upload's multipart body holds a file, not text
      const base = body ? validJson(body) : undefined;
      for (const parameter of operation.parameters ?? []) {
        if (!isString(parameter.schema)) continue;
        const id = parameter.schema.format === 'uuid';
        const field = id ? undefined : parameter.in === 'header' ? 'Idempotency-Key' : parameter.name;
        const where = `${method.toUpperCase()} ${template} ${parameter.in} ${parameter.name}`;
        if (parameter.in === 'header') {
          // Node refuses control characters in a header value before they are sent: the length is what a client can break.
          cases.push({
            name: `${where}: one character too many`,
            method,
            url: () => url(),
            body: base,
            headers: { [parameter.name]: 'x'.repeat((parameter.schema.maxLength ?? 255) + 1) },
            field,
          });
          continue;
        }
        const values: [string, string][] = [
          ['NUL', '%00'],
          ['a bell', '%07'],
          ['5,000 characters', 'x'.repeat(5000)],
        ];
        for (const [what, encoded] of values) {
          // A path parameter over 100 characters is the router's 414, before any rule.
          if (parameter.in === 'path')
            cases.push({
              name: `${where}: ${what}`,
              method,
              url: () => url({ [parameter.name]: encoded.slice(0, 200) }),
              body: base,
              field: encoded.length > 100 ? undefined : field,
            });
          else cases.push({ name: `${where}: ${what}`, method, url: () => `${url()}?${parameter.name}=${encoded}`, body: base, field });
        }
      }
      if (!body?.properties) continue;
      for (const [name, property] of Object.entries(body.properties)) {
        const leaf = property.items ?? property;
        if (!isString(leaf)) continue;
        const id = leaf.format === 'uuid';
        // The kind of a text (line or multiline) is the GraphQL side's to test: here what both kinds refuse.
        const values = id ? hostileIds : hostile('multiline', leaf.maxLength ?? 10_000);
        for (const [what, value] of values) {
          cases.push({
            name: `${method.toUpperCase()} ${template} body ${name}: ${what}`,
            method,
            url: () => url(),
            body: { ...(base as object), [name]: property.items ? [value] : value },
            field: id ? undefined : name,
          });
        }
      }
    }
  }
  return cases;
}

describe('every REST text input', () => {
  const cases = restCases();
  it('is found in the OpenAPI document the route table writes', () => {
    const names = cases.map((c) => c.name);
    for (const expected of [
      'POST /assets body file_path: NUL',
      'POST /libraries body name: NUL',
      'PATCH /libraries/{library_id} body description: NUL',
      'POST /keys/{prefix}/revoke path prefix: NUL',
    ]) {
      expect(names).toContain(expected);
    }
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases)('$name', async ({ method, url, body, headers, field }) => {
    const response = await t.app.inject({
      method: method.toUpperCase() as 'GET',
      url: url(),
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    // On the embedded database a webhook route answers a well-formed request with its documented 503
    // (no queue there: src/rest/v1/routes/webhooks.ts); a hostile id is well formed, being no text.
    if (!serverUrl && !field && url().includes('/webhooks') && response.statusCode === 503) {
      expect(response.json().message).toMatch(/^Webhooks need a PostgreSQL server/);
      return;
    }
    expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(500);
    expect(response.statusCode, response.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    if (field) expect(response.json(), response.body.slice(0, 300)).toMatchObject({ error: 'Validation failed', field });
  });
});
