import { beforeAll, describe, expect, it } from 'vitest';
import { restAsset as restAssetRepresentation } from '../../src/rest/v1/routes/assets.ts';
import { useTestApp } from '../helpers/app.ts';

/**
 * The query limits agree with the page limit: the largest documented page (100) with every field
 * the REST API shows passes on every list field, and a refusal says which limit it hit in
 * `extensions.code` (never a "Syntax Error"), as do the connection's argument errors.
 */
const t = useTestApp();
let key: string;
const restAsset = restAssetRepresentation.fragments;
const fullAsset = '...RestAsset library { id name }';

beforeAll(async () => {
  key = await t.newKey(['read:assets', 'write:assets', 'read:libraries']);
  for (let i = 0; i < 3; i++) {
    const created = await post(`mutation { createAsset(input: { title: "Asset ${i}", assetType: PDF }) { id } }`);
    expect(created.errors).toBeUndefined();
  }
});

async function post(query: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    payload: { query },
  });
  expect(response.statusCode).toBe(200);
  return response.json() as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('a page of 100 with every field of the REST asset', () => {
  it.each([
    ['assets', `{ assets(perPage: 100) { page perPage total totalPages items { ${fullAsset} } } }`],
    [
      'assetsConnection edges',
      `{ assetsConnection(first: 100) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${fullAsset} } } } }`,
    ],
    ['assetsConnection nodes', `{ assetsConnection(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { ${fullAsset} } } }`],
    ['assetsConnection backwards', `{ assetsConnection(last: 100) { pageInfo { hasPreviousPage startCursor } edges { cursor node { ${fullAsset} } } } }`],
  ])('passes the limits on %s', async (_name, query) => {
    const result = await post(`${query} ${restAsset}`);
    expect(result.errors).toBeUndefined();
    expect(JSON.stringify(result.data)).toContain('"title":"Asset 2"');
  });
});

describe('refusals name their limit', () => {
  const page = `assetsConnection(first: 100) { edges { node { ${fullAsset} } } }`;
  it.each([
    ['QUERY_COST_LIMIT', /^Query Cost limit of 25000 exceeded, found \d+/, `{ a: ${page} b: ${page} } ${restAsset}`],
    [
      'QUERY_DEPTH_LIMIT',
      /^Query depth limit of 10 exceeded, found 12/,
      `{ __type(name: "Asset") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`,
    ],
    ['QUERY_ALIAS_LIMIT', /^Aliases limit of 15 exceeded, found 16/, `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: assets { total }`).join(' ')} }`],
  ])('%s', async (code, message, query) => {
    const result = await post(query);
    expect(result.data).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].extensions?.code).toBe(code);
    expect(result.errors![0].message).toMatch(message);
  });
});

describe('every GraphQL error has a code', () => {
  it.each([
    ['a syntax error', '{ assets { ', 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', '{ assets { colour } }', 'GRAPHQL_VALIDATION_FAILED'],
    ['first: -1', '{ assetsConnection(first: -1) { edges { cursor } } }', 'BAD_USER_INPUT'],
    ['last: -1', '{ assetsConnection(last: -1) { edges { cursor } } }', 'BAD_USER_INPUT'],
    ['a cursor that does not decode', '{ assetsConnection(after: "garbage") { edges { cursor } } }', 'BAD_USER_INPUT'],
    ['first with last', '{ assetsConnection(first: 2, last: 2) { edges { cursor } } }', 'BAD_USER_INPUT'],
  ])('%s', async (_name, query, code) => {
    const result = await post(query);
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors!) expect(error.extensions?.code).toBe(code);
  });

  it('first with last names `last`', async () => {
    const result = await post('{ assetsConnection(first: 2, last: 2) { edges { cursor } } }');
    expect(result.errors![0]).toMatchObject({ message: 'Pass either first or last, not both', extensions: { field: 'last' } });
  });
});
