import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { restErrors } from '../../src/rest/v1/errors.ts';
import { useTestApp } from '../helpers/app.ts';
import { checkAgainstOpenApi } from '../helpers/rest.ts';

/**
 * The bad-input table: hostile and careless requests to both faces, each with the status and
 * body shape it must get. None may answer 5xx, and every answer is in its face's shape: the REST
 * error catalog (checked against the OpenAPI document where the route is in it) or GraphQL's
 * `{ errors: [{ message, extensions: { code } }] }`.
 */
const t = useTestApp();
let key = '';
let readKey = '';
let librariesKey = '';
let otherKey = '';
let assetId = '';
let foreignCursor = '';

const pdf = 'pdf';
/** The same types as GraphQL names them. */
const PDF = 'PDF';
const LINK = 'LINK';
const uuid = '00000000-0000-4000-8000-000000000000';
const nul = 'a\u0000b';

beforeAll(async () => {
  key = await t.newKey(['read:assets', 'write:assets']);
  readKey = await t.newKey(['read:assets']);
  librariesKey = await t.newKey(['read:libraries']);
  otherKey = await t.newKey(['read:assets', 'write:assets']);
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { authorization: `Bearer ${key}` },
    payload: { title: 'Mine', asset_type: pdf },
  });
  assetId = created.json().data.id;
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { authorization: `Bearer ${otherKey}` },
    payload: { title: 'Theirs', asset_type: pdf },
  });
  const theirs = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${otherKey}` },
    payload: { query: '{ assetsConnection(first: 1) { edges { node { id } } } }' },
  });
  // An id-only cursor, as plugin-prisma wrote them: the one kind that names an asset to look up.
  foreignCursor = Buffer.from(`GPC:S:${theirs.json().data.assetsConnection.edges[0].node.id}`).toString('base64');
});

type Expect =
  | { face: 'rest'; status: number; field?: string; message?: RegExp }
  | { face: 'graphql'; status: number; code: string; field?: string; message?: RegExp };

interface Case {
  name: string;
  request: () => InjectOptions;
  expect: Expect;
}

const auth = (k: () => string) => () => ({ authorization: `Bearer ${k()}` });
const withKey = auth(() => key);

function restPost(body: unknown, headers: () => Record<string, string> = withKey): () => InjectOptions {
  return () => ({ method: 'POST', url: '/api/v1/assets', headers: { 'content-type': 'application/json', ...headers() }, payload: JSON.stringify(body) });
}
function restGet(url: string, headers: () => Record<string, string> = withKey): () => InjectOptions {
  return () => ({ method: 'GET', url, headers: headers() });
}
function op(query: string, variables?: unknown, headers: () => Record<string, string> = withKey): () => InjectOptions {
  return () => ({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers() },
    payload: JSON.stringify({ query, variables }),
  });
}
/** A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec) of these text fields. */
function multipart(fields: [string, string][]): () => InjectOptions {
  const body = fields.map(([name, value]) => `--b0undary\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('');
  return () => ({
    method: 'POST',
    url: '/graphql',
    headers: { ...withKey(), 'content-type': 'multipart/form-data; boundary=b0undary' },
    payload: `${body}--b0undary--\r\n`,
  });
}
const create = 'mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }';
const createWith = (input: Record<string, unknown>) => op(create, { input: { title: 'T', assetType: PDF, ...input } });
const listWith = (filter: Record<string, unknown>) => op('query($f: AssetFilter) { assets(filter: $f) { total } }', { f: filter });
const connectionAfter = (after: () => string) => () =>
  op('query($a: String) { assetsConnection(first: 2, after: $a) { edges { node { id } } } }', { a: after() })();

const rest400 = (field?: string, message?: RegExp): Expect => ({ face: 'rest', status: 400, field, message });
const gqlInput = (field?: string, message?: RegExp): Expect => ({ face: 'graphql', status: 200, code: 'BAD_USER_INPUT', field, message });

const cases: Case[] = [
  // Text rules (src/domain/text.ts), on both faces.
  { name: 'REST: NUL in title', request: restPost({ title: nul, asset_type: pdf }), expect: rest400('title', /NUL/) },
  { name: 'REST: NUL in description', request: restPost({ title: 'x', description: nul, asset_type: pdf }), expect: rest400('description', /NUL/) },
  {
    name: 'REST: NUL in external_url',
    request: restPost({ title: 'x', asset_type: 'link', external_url: `https://e.com/${nul}` }),
    expect: rest400('external_url', /NUL/),
  },
  { name: 'REST: NUL in search', request: restGet(`/api/v1/assets?search=a%00b`), expect: rest400('search', /NUL/) },
  {
    name: 'REST: lone surrogate in title',
    request: () => ({ ...restPost({})(), payload: '{"title":"a\\ud800b","asset_type":"pdf"}' }),
    expect: rest400('title', /surrogate/),
  },
  { name: 'REST: bell character in title', request: restPost({ title: 'a\u0007b', asset_type: pdf }), expect: rest400('title', /control/) },
  { name: 'REST: line feed in title', request: restPost({ title: 'a\nb', asset_type: pdf }), expect: rest400('title', /control/) },
  {
    name: 'REST: right-to-left override in title',
    request: restPost({ title: 'invoice\u202Efdp.exe', asset_type: pdf }),
    expect: rest400('title', /bidirectional/),
  },
  { name: 'REST: bidi isolate in title', request: restPost({ title: 'a\u2066b', asset_type: pdf }), expect: rest400('title', /bidirectional/) },
  {
    name: 'REST: escape character in description',
    request: restPost({ title: 'x', description: 'a\u001b[31m', asset_type: pdf }),
    expect: rest400('description', /control/),
  },
  {
    name: 'REST: C1 control in description',
    request: restPost({ title: 'x', description: 'a\u0085b', asset_type: pdf }),
    expect: rest400('description', /control/),
  },
  {
    name: 'REST: description over 10,000 characters',
    request: restPost({ title: 'x', description: 'd'.repeat(10_001), asset_type: pdf }),
    expect: rest400('description', /at most 10000/),
  },
  {
    name: 'REST: external_url over 2,048 characters',
    request: restPost({ title: 'x', asset_type: 'link', external_url: `https://e.com/${'u'.repeat(2048)}` }),
    expect: rest400('external_url', /at most 2048/),
  },
  { name: 'REST: search over 200 characters', request: restGet(`/api/v1/assets?search=${'s'.repeat(201)}`), expect: rest400('search', /at most 200/) },
  { name: 'REST: title over 500 characters', request: restPost({ title: 't'.repeat(501), asset_type: pdf }), expect: rest400('title', /at most 500/) },
  { name: 'REST: 501 astral characters', request: restPost({ title: '😀'.repeat(501), asset_type: pdf }), expect: rest400('title', /at most 500/) },
  { name: 'GraphQL: NUL in title', request: createWith({ title: nul }), expect: gqlInput('title', /NUL/) },
  { name: 'GraphQL: NUL in description', request: createWith({ description: nul }), expect: gqlInput('description', /NUL/) },
  {
    name: 'GraphQL: NUL in externalUrl',
    request: createWith({ assetType: LINK, externalUrl: `https://e.com/${nul}` }),
    expect: gqlInput('externalUrl', /NUL/),
  },
  { name: 'GraphQL: NUL in search', request: listWith({ search: nul }), expect: gqlInput('search', /NUL/) },
  { name: 'GraphQL: NUL in a search literal', request: op('{ assets(filter: { search: "a\\u0000b" }) { total } }'), expect: gqlInput('search', /NUL/) },
  {
    name: 'GraphQL: NUL in a title literal',
    request: op(`mutation { createAsset(input: { title: "a\\u0000b", assetType: ${PDF} }) { id } }`),
    expect: gqlInput('title', /NUL/),
  },
  { name: 'GraphQL: right-to-left override in title', request: createWith({ title: 'a\u202Eb' }), expect: gqlInput('title', /bidirectional/) },
  { name: 'GraphQL: tab in title', request: createWith({ title: 'a\tb' }), expect: gqlInput('title', /control/) },
  { name: 'GraphQL: description over the limit', request: createWith({ description: 'd'.repeat(10_001) }), expect: gqlInput('description', /at most/) },
  {
    name: 'GraphQL: externalUrl over the limit',
    request: createWith({ assetType: LINK, externalUrl: `https://e.com/${'u'.repeat(2048)}` }),
    expect: gqlInput('externalUrl', /at most/),
  },
  {
    name: 'GraphQL: NUL in assetsConnection search',
    request: op('query($s: String) { assetsConnection(filter: { search: $s }) { totalCount } }', { s: nul }),
    expect: gqlInput('search', /NUL/),
  },

  // Cursors: forged, foreign and unknown alike.
  { name: 'GraphQL: a cursor of another workspace', request: connectionAfter(() => foreignCursor), expect: gqlInput('after', /Invalid cursor/) },
  {
    name: 'GraphQL: a cursor naming no asset',
    request: connectionAfter(() => Buffer.from(`GPC:S:${uuid}`).toString('base64')),
    expect: gqlInput('after', /Invalid cursor/),
  },
  { name: 'GraphQL: a cursor that is not base64 of ours', request: connectionAfter(() => 'bm9wZQ=='), expect: gqlInput('after', /Invalid cursor/) },
  {
    name: 'GraphQL: a cursor with a non-UUID id',
    request: connectionAfter(() => Buffer.from('GPC:S:1 OR 1=1').toString('base64')),
    expect: gqlInput('after', /Invalid cursor/),
  },
  {
    name: 'GraphQL: a foreign cursor as before',
    request: () => op('query($b: String) { assetsConnection(last: 1, before: $b) { edges { node { id } } } }', { b: foreignCursor })(),
    expect: gqlInput('before', /Invalid cursor/),
  },
  {
    name: 'GraphQL: a bad cursor when only totalCount is asked',
    request: op('{ assetsConnection(first: 5, after: "bm9wZQ==") { totalCount } }'),
    expect: gqlInput('after', /Invalid cursor/),
  },
  {
    name: 'GraphQL: after with before',
    request: () => op('query($c: String) { assetsConnection(after: $c, before: $c) { totalCount } }', { c: foreignCursor })(),
    expect: gqlInput('before', /Pass either after or before/),
  },
  { name: 'GraphQL: negative first', request: op('{ assetsConnection(first: -1) { totalCount } }'), expect: gqlInput() },

  // Keys, before any body is read.
  { name: 'GraphQL: no key', request: op('{ assets { total } }', undefined, () => ({})), expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' } },
  {
    name: 'GraphQL: a malformed key',
    request: op('{ assets { total } }', undefined, () => ({ authorization: 'Bearer nope' })),
    expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' },
  },
  {
    name: 'GraphQL: a Basic header',
    request: op('{ assets { total } }', undefined, () => ({ authorization: 'Basic dXNlcjpwYXNz' })),
    expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' },
  },
  {
    name: 'GraphQL: no key and a huge body',
    request: () => ({ ...op('{ assets { total } }', undefined, () => ({}))(), payload: 'x'.repeat(2 * 1024 * 1024) }),
    expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' },
  },
  {
    name: 'GraphQL: no key, GET',
    request: () => ({ method: 'GET', url: '/graphql?query=%7Bassets%7Btotal%7D%7D', headers: { accept: 'application/json' } }),
    expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' },
  },
  {
    name: 'GraphQL: introspection without a key',
    request: op('{ __schema { types { name } } }', undefined, () => ({})),
    expect: { face: 'graphql', status: 401, code: 'UNAUTHENTICATED' },
  },
  { name: 'REST: no key', request: restGet('/api/v1/assets', () => ({})), expect: { face: 'rest', status: 401 } },
  {
    name: 'REST: no key and a huge body',
    request: () => ({ ...restPost({}, () => ({}))(), payload: 'x'.repeat(2 * 1024 * 1024) }),
    expect: { face: 'rest', status: 401 },
  },
  { name: 'REST: a key in the query string only', request: restGet('/api/v1/assets?api_key=agk_x', () => ({})), expect: { face: 'rest', status: 401 } },
  {
    name: 'REST: read-only key creating',
    request: restPost(
      { title: 'x', asset_type: pdf },
      auth(() => readKey),
    ),
    expect: { face: 'rest', status: 403 },
  },
  // A key without the scope is refused for the scope, whatever its input: bad text is no exception.
  {
    name: 'REST: read-only key creating, with a NUL in the title',
    request: restPost(
      { title: nul, asset_type: pdf },
      auth(() => readKey),
    ),
    expect: { face: 'rest', status: 403, message: /write:assets/ },
  },
  {
    name: 'REST: a key without read:assets listing, with a control character in search',
    request: restGet(
      '/api/v1/assets?search=a%01b',
      auth(() => librariesKey),
    ),
    expect: { face: 'rest', status: 403, message: /read:assets/ },
  },
  {
    name: 'REST: a key without read:assets searching, with a control character in q',
    request: restGet(
      '/api/v1/search?q=a%01b',
      auth(() => librariesKey),
    ),
    expect: { face: 'rest', status: 403, message: /read:assets/ },
  },

  // Framework errors, in each face's shape.
  {
    name: 'GraphQL: body over the limit',
    request: () => ({ ...op('{ assets { total } }')(), payload: JSON.stringify({ query: `{ assets { total } } #${'x'.repeat(1024 * 1024)}` }) }),
    expect: { face: 'graphql', status: 413, code: 'PAYLOAD_TOO_LARGE' },
  },
  {
    name: 'GraphQL: text/csv body',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'text/csv' }, payload: 'a,b' }),
    expect: { face: 'graphql', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    name: 'GraphQL: text/plain body',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'text/plain' }, payload: '{"query":"{ assets { total } }"}' }),
    expect: { face: 'graphql', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /^Content-Type must be application\/json$/ },
  },
  {
    name: 'GraphQL: empty text/plain body',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'text/plain' }, payload: '' }),
    expect: { face: 'graphql', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    name: 'GraphQL: POST without a body or Content-Type',
    request: () => ({ method: 'POST', url: '/graphql', headers: withKey() }),
    expect: { face: 'graphql', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    name: 'GraphQL: an empty JSON object',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'application/json' }, payload: '{}' }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /^Must provide query string\.$/ },
  },
  {
    name: 'GraphQL: an empty JSON array',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'application/json' }, payload: '[]' }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: no query, Accept application/json',
    request: () => ({
      method: 'POST',
      url: '/graphql',
      headers: { ...withKey(), 'content-type': 'application/json', accept: 'application/json' },
      payload: '{"variables":{}}',
    }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /^Must provide query string\.$/ },
  },
  {
    name: 'GraphQL: GET without a query',
    request: () => ({ method: 'GET', url: '/graphql', headers: { ...withKey(), accept: 'application/json' } }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: GET with variables that are not JSON',
    request: () => ({ method: 'GET', url: '/graphql?query=%7Bassets%7Btotal%7D%7D&variables=%7Bx', headers: { ...withKey(), accept: 'application/json' } }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /variables/ },
  },
  {
    name: 'GraphQL: GET with extensions that are not JSON',
    request: () => ({ method: 'GET', url: '/graphql?query=%7Bassets%7Btotal%7D%7D&extensions=%5B', headers: withKey() }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /extensions/ },
  },
  {
    name: 'GraphQL: a mutation over GET',
    request: () => ({ method: 'GET', url: `/graphql?query=${encodeURIComponent('mutation { deleteAsset(id: "x") { id } }')}`, headers: withKey() }),
    expect: { face: 'graphql', status: 405, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: an Accept without JSON',
    request: () => ({ ...op('{ assets { total } }')(), headers: { ...withKey(), 'content-type': 'application/json', accept: 'image/png' } }),
    expect: { face: 'graphql', status: 406, code: 'NOT_ACCEPTABLE' },
  },
  {
    name: 'GraphQL: multipart whose operations are not JSON',
    request: multipart([
      ['operations', '{"query":'],
      ['map', '{}'],
    ]),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /operations/ },
  },
  {
    name: 'GraphQL: multipart whose map is not JSON',
    request: multipart([
      ['operations', '{"query":"{ assets { total } }"}'],
      ['map', '{"0":'],
    ]),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /map/ },
  },
  {
    name: 'GraphQL: multipart without operations',
    request: multipart([['map', '{}']]),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /operations/ },
  },
  {
    name: 'GraphQL: multipart cut short',
    request: () => ({ ...multipart([])(), payload: '--b0undary\r\ncontent-disposition: form-data; name="operations"\r\n\r\n{"q' }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST', message: /^POST body sent invalid multipart data$/ },
  },
  {
    name: 'GraphQL: body that is not JSON',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'application/json' }, payload: '{"query":' }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: empty JSON body',
    request: () => ({ method: 'POST', url: '/graphql', headers: { ...withKey(), 'content-type': 'application/json' }, payload: '' }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: prototype poisoning',
    request: () => ({
      method: 'POST',
      url: '/graphql',
      headers: { ...withKey(), 'content-type': 'application/json' },
      payload: '{"query":"{ assets { total } }","__proto__":{"x":1}}',
    }),
    expect: { face: 'graphql', status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'GraphQL: a path under /graphql',
    request: () => ({ method: 'GET', url: '/graphql/anything', headers: withKey() }),
    expect: { face: 'graphql', status: 404, code: 'NOT_FOUND' },
  },
  {
    name: 'GraphQL: PUT',
    request: () => ({ method: 'PUT', url: '/graphql', headers: withKey() }),
    expect: { face: 'graphql', status: 404, code: 'NOT_FOUND' },
  },
  { name: 'REST: an id longer than the router allows', request: restGet(`/api/v1/assets/${'a'.repeat(500)}`), expect: { face: 'rest', status: 414 } },
  { name: 'REST: a URL that does not decode', request: restGet('/api/v1/assets/%E0%A4%A'), expect: { face: 'rest', status: 400 } },
  { name: 'REST: unknown route', request: restGet('/api/v1/nothing'), expect: { face: 'rest', status: 404 } },
  { name: 'REST: unknown route outside /api/v1', request: restGet('/nothing'), expect: { face: 'rest', status: 404 } },
  {
    name: 'REST: body over the limit',
    request: () => ({ ...restPost({})(), payload: JSON.stringify({ title: 'x'.repeat(1024 * 1024) }) }),
    expect: { face: 'rest', status: 413 },
  },
  {
    name: 'REST: form body',
    request: () => ({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { ...withKey(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'title=x',
    }),
    expect: { face: 'rest', status: 415 },
  },
  {
    name: 'REST: body that is not JSON',
    request: () => ({ method: 'POST', url: '/api/v1/assets', headers: { ...withKey(), 'content-type': 'application/json' }, payload: '{"title":' }),
    expect: rest400(),
  },
  { name: 'REST: a JSON array body', request: restPost([{ title: 'x' }]), expect: rest400() },
  { name: 'REST: a JSON string body', request: restPost('title'), expect: rest400() },
  {
    name: 'REST: prototype poisoning',
    request: () => ({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { ...withKey(), 'content-type': 'application/json' },
      payload: '{"title":"x","asset_type":"pdf","__proto__":{"a":1}}',
    }),
    expect: rest400(),
  },

  // Values of the wrong kind.
  { name: 'REST: title a number', request: restPost({ title: 5, asset_type: pdf }), expect: rest400('title') },
  { name: 'REST: title an object', request: restPost({ title: { $ne: null }, asset_type: pdf }), expect: rest400('title') },
  { name: 'REST: asset_type unknown', request: restPost({ title: 'x', asset_type: 'exe' }), expect: rest400('asset_type') },
  { name: 'REST: is_public a string', request: restPost({ title: 'x', asset_type: pdf, is_public: 'yes' }), expect: rest400('is_public') },
  {
    name: 'REST: external_url javascript:',
    request: restPost({ title: 'x', asset_type: 'link', external_url: 'javascript:alert(1)' }),
    expect: rest400('external_url'),
  },
  {
    name: 'REST: file_path escaping uploads',
    request: restPost({ title: 'x', asset_type: pdf, file_path: '/uploads/../etc/passwd' }),
    expect: rest400('file_path'),
  },
  { name: 'REST: page 0', request: restGet('/api/v1/assets?page=0'), expect: rest400('page') },
  { name: 'REST: page huge', request: restGet('/api/v1/assets?page=99999999999999999999'), expect: rest400('page') },
  { name: 'REST: per_page negative', request: restGet('/api/v1/assets?per_page=-5'), expect: rest400('per_page') },
  { name: 'REST: sort unknown', request: restGet('/api/v1/assets?sort=password'), expect: rest400('sort') },
  { name: 'REST: order SQL', request: restGet('/api/v1/assets?order=asc;DROP%20TABLE%20assets'), expect: rest400('order') },
  { name: 'REST: asset_type repeated', request: restGet('/api/v1/assets?asset_type=pdf&asset_type=image'), expect: rest400('asset_type') },
  { name: 'REST: a malformed id', request: restGet("/api/v1/assets/1'%20OR%20'1'='1"), expect: { face: 'rest', status: 404 } },
  { name: 'REST: an unknown id', request: restGet(`/api/v1/assets/${uuid}`), expect: { face: 'rest', status: 404 } },
  {
    name: "REST: another workspace's id",
    request: () =>
      restGet(
        `/api/v1/assets/${assetId}`,
        auth(() => otherKey),
      )(),
    expect: { face: 'rest', status: 404 },
  },
  { name: 'GraphQL: title a number', request: createWith({ title: 5 }), expect: gqlInput('title') },
  { name: 'GraphQL: unknown input field', request: createWith({ slug: 'mine' }), expect: gqlInput('slug') },
  { name: 'GraphQL: perPage a string', request: op('query($n: Int) { assets(perPage: $n) { total } }', { n: 'ten' }), expect: gqlInput('n') },
  { name: 'GraphQL: perPage beyond 32 bits', request: op('query($n: Int) { assets(perPage: $n) { total } }', { n: 2 ** 40 }), expect: gqlInput('n') },
  { name: 'GraphQL: page 0', request: op('{ assets(page: 0) { total } }'), expect: gqlInput('page') },
  { name: 'GraphQL: id a float', request: op('{ asset(id: 5.5) { id } }'), expect: { face: 'graphql', status: 200, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: 'GraphQL: a syntax error', request: op('{ assets { '), expect: { face: 'graphql', status: 200, code: 'GRAPHQL_PARSE_FAILED' } },
  { name: 'GraphQL: an unknown field', request: op('{ assets { password } }'), expect: { face: 'graphql', status: 200, code: 'GRAPHQL_VALIDATION_FAILED' } },
  {
    name: 'GraphQL: too many aliases',
    request: op(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: assets { total }`).join(' ')} }`),
    expect: { face: 'graphql', status: 200, code: 'QUERY_ALIAS_LIMIT' },
  },
  {
    name: 'GraphQL: too deep',
    request: op(`{ assets { items { ${'__typename ... on PdfAsset { '.repeat(12)}id${' }'.repeat(12)} } } }`),
    expect: { face: 'graphql', status: 200, code: 'QUERY_DEPTH_LIMIT' },
  },
  // Subscriptions are served (assetEvents, over SSE and WebSocket): a query field is none of them.
  {
    name: 'GraphQL: a subscription of a query field',
    request: op('subscription { assets { total } }'),
    expect: { face: 'graphql', status: 200, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot query field "assets" on type "Subscription"/ },
  },
  {
    name: 'GraphQL: __schema aliased 15 times',
    request: op(`{ ${Array.from({ length: 15 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ')} }`),
    expect: { face: 'graphql', status: 200, code: 'GRAPHQL_VALIDATION_FAILED', message: /__schema may be selected once/ },
  },
  {
    name: 'GraphQL: aliases inside introspection',
    request: op(`{ __schema { ${Array.from({ length: 16 }, (_, i) => `t${i}: types { name }`).join(' ')} } }`),
    expect: { face: 'graphql', status: 200, code: 'QUERY_ALIAS_LIMIT', message: /Aliases limit of 15/ },
  },
  {
    // Only __schema is left out of depth and cost: __type is counted like any field.
    name: 'GraphQL: __type nested past the depth limit',
    request: op(`{ __type(name: "Asset") { ${'fields { type { '.repeat(5)}name${' } }'.repeat(5)} } }`),
    expect: { face: 'graphql', status: 200, code: 'QUERY_DEPTH_LIMIT' },
  },
  {
    // Inside __schema, graphql-js's own MaxIntrospectionDepthRule bounds the nesting of fields, interfaces and possible types.
    name: 'GraphQL: __schema nesting fields in fields',
    request: op(`{ __schema { types { ${'fields { type { '.repeat(4)}name${' } }'.repeat(4)} } } }`),
    expect: { face: 'graphql', status: 200, code: 'GRAPHQL_VALIDATION_FAILED', message: /Maximum introspection depth exceeded/ },
  },
  {
    name: 'GraphQL: over the token limit',
    request: op(`{ assets { total ${'__typename '.repeat(2000)}} }`),
    expect: { face: 'graphql', status: 200, code: 'GRAPHQL_PARSE_FAILED', message: /2000 tokens/ },
  },
  {
    name: 'GraphQL: over the directive limit',
    request: op(`{ assets { total ${'@include(if: true) '.repeat(21)}} }`),
    expect: { face: 'graphql', status: 200, code: 'QUERY_DIRECTIVE_LIMIT', message: /Directives limit of 20/ },
  },
  {
    name: 'GraphQL: over the cost limit',
    request: op(
      `{ ${['a', 'b', 'c'].map((alias) => `${alias}: assetsConnection(first: 100) { edges { cursor node { ...F } } }`).join(' ')} } fragment F on Asset { id title slug description assetType downloadCount isPublic createdAt updatedAt library { id name slug } }`,
    ),
    expect: { face: 'graphql', status: 200, code: 'QUERY_COST_LIMIT', message: /Cost limit/ },
  },
  {
    name: 'GraphQL: read-only key creating',
    request: () =>
      op(
        create,
        { input: { title: 'x', assetType: PDF } },
        auth(() => readKey),
      )(),
    expect: { face: 'graphql', status: 200, code: 'FORBIDDEN' },
  },
  {
    name: 'GraphQL: read-only key creating, with a NUL in the title',
    request: () =>
      op(
        create,
        { input: { title: nul, assetType: PDF } },
        auth(() => readKey),
      )(),
    expect: { face: 'graphql', status: 200, code: 'FORBIDDEN', message: /write:assets/ },
  },
  {
    name: 'GraphQL: a key without read:assets searching, with a control character',
    request: op(
      'query($q: String!) { searchAssets(query: $q) { __typename } }',
      { q: 'a\u0001b' },
      auth(() => librariesKey),
    ),
    expect: { face: 'graphql', status: 200, code: 'FORBIDDEN', message: /read:assets/ },
  },
];

describe('the bad-input table', () => {
  it('has at least 80 requests across both faces', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    expect(cases.filter((c) => c.expect.face === 'rest').length).toBeGreaterThan(30);
    expect(cases.filter((c) => c.expect.face === 'graphql').length).toBeGreaterThan(30);
  });

  it.each(cases)('$name', async ({ request, expect: want }) => {
    const options = request();
    const response = await t.app.inject(options);
    const body = response.json();
    expect(response.statusCode, response.body.slice(0, 500)).toBe(want.status);
    expect(response.statusCode).toBeLessThan(500);
    if (want.face === 'rest') {
      expect(body).toEqual({
        error: restErrors[want.status as keyof typeof restErrors],
        message: expect.any(String),
        ...(want.field ? { field: want.field } : {}),
      });
      if (want.message) expect(body.message).toMatch(want.message);
      const url = String(options.url);
      if (url.startsWith('/api/v1/assets')) checkAgainstOpenApi(options.method === 'POST' ? 'post' : 'get', url, response.statusCode, body);
    } else {
      expect(body.errors?.[0], response.body.slice(0, 500)).toMatchObject({ message: expect.any(String), extensions: { code: want.code } });
      if (want.field) expect(body.errors[0].extensions.field).toBe(want.field);
      if (want.message) expect(body.errors[0].message).toMatch(want.message);
    }
    // Nothing of a key, a stack or SQL comes back, nor a parser's own error.
    expect(response.body).not.toMatch(/agk_[A-Za-z0-9_-]{12}_|\bat .+\.(ts|js):\d+|SELECT |INSERT |originalError/);
  });
});
