import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createAuthenticator } from '../../src/auth/authenticate.ts';
import { createApiKey } from '../../src/auth/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { loadPersistedOperations } from '../../src/graphql/persisted-operations.ts';
import { createJsonPostHandler } from '../../src/graphql/json-post.ts';
import { queryLimitRules, queryParseOptions } from '../../src/graphql/limits.ts';
import { useTestApp } from '../helpers/app.ts';
import { openTestDatabase } from '../helpers/database.ts';

/**
 * /graphql serves plain JSON POSTs itself (src/graphql/json-post.ts) and leaves everything else
 * to yoga. Whichever serves a request, the client must get the same status, headers and bytes:
 * each request below goes to the app as it ships and to the app with GRAPHQL_JSON_FAST_PATH=false
 * (yoga only), and the answers are compared. A third app mounts the JSON POST handler alone,
 * answering 418 when it declines, to prove which requests the fast path really takes.
 */
const t = useTestApp();
let yogaOnly: FastifyInstance;
let handlerOnly: FastifyInstance;
let readKey: string;
let writeKey: string;

beforeAll(async () => {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  yogaOnly = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', GRAPHQL_JSON_FAST_PATH: 'false' }), db: t.database.db });
  const { db } = t.database;
  const authenticate = createAuthenticator(db, { cacheTtlMs: 0 });
  const onInternalError = () => {};
  const handle = createJsonPostHandler({
    db,
    files: createFiles(config),
    principalOf: (req) => authenticate(req.headers.authorization),
    limitRules: queryLimitRules(config),
    parseOptions: queryParseOptions(config),
    persisted: loadPersistedOperations(config.persistedOperations),
    onInternalError,
  });
  handlerOnly = Fastify();
  handlerOnly.route({
    url: '/graphql',
    method: ['GET', 'POST'],
    handler: async (req, reply) => ((await handle(req, reply)) ? reply : reply.status(418).send('declined')),
  });
  writeKey = await t.newKey(['read:assets', 'write:assets'], 'http-parity');
  readKey = await t.newKey(['read:assets'], 'http-parity');
  for (const title of ['First', 'Second']) {
    const created = await post(
      { query: 'mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', variables: { i: { title, assetType: 'PDF' } } },
      { authorization: `Bearer ${writeKey}` },
    );
    expect(created.statusCode).toBe(200);
  }
});
afterAll(async () => {
  await yogaOnly?.close();
  await handlerOnly?.close();
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });
}

const list =
  'query List($perPage: Int) { assets(perPage: $perPage, sort: TITLE, order: ASC) { total items { id title slug assetType createdAt library { id } } } }';
const auth = (key: () => string) => ({ authorization: `Bearer ${key()}` });

interface Case {
  name: string;
  request: () => InjectOptions;
  /** Whether the JSON POST handler serves it (true) or leaves it to yoga (false). */
  fast: boolean;
}

const jsonPost = (payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url: '/graphql',
  headers: { 'content-type': 'application/json', ...headers },
  payload: JSON.stringify(payload),
});

const cases: Case[] = [
  {
    name: 'a list, no Accept',
    fast: true,
    request: () =>
      jsonPost(
        { query: list, variables: { perPage: 5 } },
        auth(() => readKey),
      ),
  },
  { name: 'a list, Accept */*', fast: true, request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: '*/*' }) },
  { name: 'a list, Accept application/json', fast: true, request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'application/json' }) },
  {
    name: 'a list, Accept application/graphql-response+json',
    fast: true,
    request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'application/graphql-response+json' }),
  },
  {
    name: "GraphiQL's Accept",
    fast: true,
    request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'application/graphql-response+json, application/json, multipart/mixed' }),
  },
  {
    name: 'null variables, operationName and extensions',
    fast: true,
    request: () =>
      jsonPost(
        { query: list, variables: null, operationName: null, extensions: {} },
        auth(() => readKey),
      ),
  },
  {
    name: 'a read-only key creating',
    fast: true,
    request: () =>
      jsonPost(
        { query: 'mutation { createAsset(input: { title: "No", assetType: PDF }) { id } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a create that breaks a rule',
    fast: true,
    request: () =>
      jsonPost(
        { query: 'mutation { createAsset(input: { title: "  ", assetType: PDF }) { id } }' },
        auth(() => writeKey),
      ),
  },
  {
    name: 'a variable of the wrong type',
    fast: true,
    request: () =>
      jsonPost(
        { query: list, variables: { perPage: 'many' } },
        auth(() => readKey),
      ),
  },
  {
    // Quotes, backslashes, template and comment syntax in a literal are data, on both paths.
    name: 'literals that look like code',
    fast: true,
    request: () =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal that looks like code is the point
      jsonPost(
        { query: '{ assets(filter: { search: "\\"); process.exit(1); (\\" ` ${1} \\\\ \\n */" }) { total weird_alias: page } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'an unknown id',
    fast: true,
    request: () =>
      jsonPost(
        { query: '{ asset(id: "00000000-0000-4000-8000-000000000000") { id } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'two operations, one named',
    fast: true,
    request: () =>
      jsonPost(
        { query: `${list} query Total { assets { total } }`, operationName: 'Total' },
        auth(() => readKey),
      ),
  },
  {
    name: 'two operations, none named',
    fast: false,
    request: () =>
      jsonPost(
        { query: `${list} query Total { assets { total } }` },
        auth(() => readKey),
      ),
  },
  {
    name: 'an unknown operation name',
    fast: false,
    request: () =>
      jsonPost(
        { query: list, operationName: 'Nope' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a syntax error',
    fast: false,
    request: () =>
      jsonPost(
        { query: '{ assets { ' },
        auth(() => readKey),
      ),
  },
  {
    name: 'an unknown field',
    fast: false,
    request: () =>
      jsonPost(
        { query: '{ assets { colour } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a literal of the wrong type',
    fast: false,
    request: () =>
      jsonPost(
        { query: '{ assets(perPage: "x") { total } }' },
        auth(() => readKey),
      ),
  },
  {
    // Deeper than MAX_QUERY_DEPTH, which leaves introspection alone (GraphiQL's own query is deep).
    name: 'deep introspection',
    fast: true,
    request: () =>
      jsonPost(
        { query: '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'too many aliases',
    fast: false,
    request: () =>
      jsonPost(
        { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: assets { total }`).join(' ')} }` },
        auth(() => readKey),
      ),
  },
  {
    name: 'too costly',
    fast: false,
    request: () =>
      jsonPost(
        {
          query: `{ ${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((a) => `${a}: assetsConnection(first: 100) { edges { node { id title slug description assetType createdAt updatedAt library { id name } } } }`).join(' ')} }`,
        },
        auth(() => readKey),
      ),
  },
  {
    name: 'first with last',
    fast: true,
    request: () =>
      jsonPost(
        { query: '{ assetsConnection(first: 1, last: 1) { edges { cursor } } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'first: -1',
    fast: true,
    request: () =>
      jsonPost(
        { query: '{ assetsConnection(first: -1) { edges { cursor } } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a cursor that does not decode',
    fast: true,
    request: () =>
      jsonPost(
        { query: '{ assetsConnection(after: "x") { edges { cursor } } }' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a missing query',
    fast: false,
    request: () =>
      jsonPost(
        { variables: {} },
        auth(() => readKey),
      ),
  },
  {
    name: 'a query that is not a string',
    fast: false,
    request: () =>
      jsonPost(
        { query: 42 },
        auth(() => readKey),
      ),
  },
  {
    name: 'variables that are a list',
    fast: false,
    request: () =>
      jsonPost(
        { query: list, variables: [1] },
        auth(() => readKey),
      ),
  },
  {
    name: 'an unknown body key',
    fast: false,
    request: () =>
      jsonPost(
        { query: list, colour: 'red' },
        auth(() => readKey),
      ),
  },
  {
    name: 'a batch',
    fast: false,
    request: () =>
      jsonPost(
        [{ query: list }],
        auth(() => readKey),
      ),
  },
  { name: 'Accept text/html', fast: false, request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'text/html' }) },
  {
    name: 'Accept with parameters',
    fast: false,
    request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'application/json;q=0.5, text/html' }),
  },
  { name: 'Accept naming an Object property', fast: false, request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'constructor' }) },
  { name: 'Accept text/event-stream', fast: false, request: () => jsonPost({ query: list }, { ...auth(() => readKey), accept: 'text/event-stream' }) },
  {
    name: 'a GET',
    fast: false,
    request: () => ({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('{ assets { total } }')}`,
      headers: { ...auth(() => readKey), accept: 'application/json' },
    }),
  },
  {
    name: 'a mutation over GET',
    fast: false,
    request: () => ({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { createAsset(input: { title: "x", assetType: PDF }) { id } }')}`,
      headers: auth(() => writeKey),
    }),
  },
];

describe('/graphql answers the same whether the JSON POST path or yoga serves it', () => {
  it.each(cases)('$name', async ({ request, fast }) => {
    const served = await t.app.inject(request());
    const byYoga = await yogaOnly.inject(request());
    // Dates and rate-limit counters differ between the two apps; everything else must not.
    const comparable = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'date' && !name.startsWith('ratelimit-')));
    const servedHeaders = comparable(served.headers);
    const yogaHeaders = comparable(byYoga.headers);
    expect(served.statusCode).toBe(byYoga.statusCode);
    expect(servedHeaders).toEqual(yogaHeaders);
    expect(served.body).toBe(byYoga.body);
    expect(served.statusCode).toBeLessThan(500);

    const direct = await handlerOnly.inject(request());
    expect(direct.statusCode === 418 ? 'yoga' : 'json post').toBe(fast ? 'json post' : 'yoga');
    if (fast) expect(direct.body).toBe(served.body);
  });

  it('answers a request without a valid key with 401 before reading its body, alike on both paths', async () => {
    const unauthenticated = { errors: [{ message: 'A valid API key is required (Authorization: Bearer <key>)', extensions: { code: 'UNAUTHENTICATED' } }] };
    for (const headers of <Record<string, string>[]>[{}, { accept: 'application/graphql-response+json' }, { authorization: 'Bearer agk_nonsense' }]) {
      for (const app of [t.app, yogaOnly]) {
        const response = await app.inject(jsonPost({ query: list }, headers));
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.json()).toEqual(unauthenticated);
      }
    }
    // GraphiQL's page needs no key (the key is typed into it).
    const page = await t.app.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });

  it('runs creates once, with their data, on the JSON POST path', async () => {
    const response = await post(
      { query: 'mutation { createAsset(input: { title: "Third", assetType: LINK, externalUrl: "https://example.com" }) { title slug } }' },
      auth(() => writeKey),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ data: { createAsset: { title: 'Third', slug: 'third' } } });
    const count = await post(
      { query: '{ assets { total } }' },
      auth(() => readKey),
    );
    expect(count.json()).toEqual({ data: { assets: { total: 3 } } });
  });

  it('masks a failure it did not expect, alike on both paths, saying where it happened', async () => {
    const database = await openTestDatabase();
    const served = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), db: database.db });
    const byYoga = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', GRAPHQL_JSON_FAST_PATH: 'false' }), db: database.db });
    let databaseOpen = true;
    try {
      const { key } = await createApiKey(database.db, { name: 'test', scopes: ['read:assets'], workspace: 'db-down' });
      const request = jsonPost({ query: '{ assets { page items { id } } }' }, { authorization: `Bearer ${key}` });
      // Each app verifies the key while the database is up, and its key cache (10 s) lets the
      // next request reach the resolvers after the database has gone.
      for (const app of [served, byYoga]) expect((await app.inject(request)).json()).toEqual({ data: { assets: { page: 1, items: [] } } });
      await database.close();
      databaseOpen = false;

      const fast = await served.inject(request);
      const yoga = await byYoga.inject(request);
      expect(fast.statusCode).toBe(200);
      expect(fast.json()).toEqual({
        errors: [
          { message: 'Unexpected error.', locations: [{ line: 1, column: 17 }], path: ['assets', 'items'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ],
        data: null,
      });
      expect(fast.body).toBe(yoga.body);
      expect(yoga.statusCode).toBe(200);
    } finally {
      await served.close();
      await byYoga.close();
      if (databaseOpen) await database.close();
    }
  });

  it('answers CORS preflights and requests from any origin, for /graphql and /api/v1', async () => {
    for (const url of ['/graphql', '/api/v1/assets']) {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
      expect(preflight.statusCode, url).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type, idempotency-key');
    }
    const response = await post({ query: '{ assets { total } }' }, { ...auth(() => readKey), origin: 'https://app.example' });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    // A browser app may read the headers it needs: rate limits, retries, and a download's name and validators.
    expect(String(response.headers['access-control-expose-headers']).split(/,\s*/)).toEqual(
      expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'ETag', 'Content-Disposition', 'Content-Range']),
    );
    expect(response.json()).toEqual({ data: { assets: { total: 3 } } });
  });
});
