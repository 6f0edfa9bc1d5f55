import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { assetTypes } from '../../src/domain/assets.ts';
import { useTestApp } from '../helpers/app.ts';

/**
 * Property-based tests: fast-check generates thousands of requests against both faces, and
 * every answer must keep the invariants — never 5xx, the same filter gives the same total on
 * both faces, pages add up to the total, and a workspace never sees another's assets.
 */
const t = useTestApp();
let keyA = '';
let keyB = '';
let keyWriter = '';
const idsOf: Record<string, Set<string>> = { A: new Set(), B: new Set() };
const titles = ['Alpha report', 'beta Photo', 'Gamma_video 100%', 'delta \\ backslash', 'Ünïcödé guide', 'épsilon', 'zeta link', 'Eta'];

beforeAll(async () => {
  keyA = await t.newKey();
  keyB = await t.newKey();
  keyWriter = await t.newKey();
  for (const [name, key] of [
    ['A', keyA],
    ['B', keyB],
  ] as const) {
    for (let i = 0; i < 14; i++) {
      const type = assetTypes[i % 4];
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/assets',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          title: `${titles[i % titles.length]} ${name}${i}`,
          description: i % 3 ? `about ${titles[(i + 3) % titles.length]}` : null,
          asset_type: type,
        },
      });
      expect(response.statusCode).toBe(201);
      idsOf[name].add(response.json().data.id);
    }
  }
}, 120_000);

const searchText = fc.oneof(
  fc.constantFrom('', 'a', 'A', 'photo', '%', '_', '\\', 'ü', 'report a', 'Eta', "'", '"'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const filterArb = fc.record({ assetType: fc.option(fc.constantFrom(...assetTypes), { nil: undefined }), search: fc.option(searchText, { nil: undefined }) });

function restList(key: string, filter: { assetType?: string; search?: string }, page = 1, perPage = 100) {
  const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
  if (filter.assetType) query.set('asset_type', filter.assetType);
  if (filter.search !== undefined) query.set('search', filter.search);
  return t.app.inject({ method: 'GET', url: `/api/v1/assets?${query}`, headers: { authorization: `Bearer ${key}` } });
}

function graphqlList(key: string, filter: { assetType?: string; search?: string }) {
  return t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: {
      query: 'query($f: AssetFilter) { assets(filter: $f, perPage: 100) { total items { id } } connection: assetsConnection(filter: $f) { totalCount } }',
      variables: { f: { assetType: filter.assetType?.toUpperCase(), search: filter.search } },
    },
  });
}

describe('properties over generated requests', () => {
  it('the same filter gives the same total on both faces, never 5xx, never another workspace', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(filterArb, fc.constantFrom('A', 'B'), async (filter, name) => {
        const key = name === 'A' ? keyA : keyB;
        const rest = await restList(key, filter);
        const graphql = await graphqlList(key, filter);
        expect(rest.statusCode).toBeLessThan(500);
        expect(graphql.statusCode).toBeLessThan(500);
        const gq = graphql.json();
        if (rest.statusCode === 400) {
          // Refused on one face, refused on the other, for the same field.
          expect(gq.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: rest.json().field });
          return;
        }
        expect(rest.statusCode).toBe(200);
        expect(gq.errors).toBeUndefined();
        const body = rest.json();
        expect(gq.data.assets.total).toBe(body.pagination.total);
        expect(gq.data.connection.totalCount).toBe(body.pagination.total);
        expect(body.data).toHaveLength(body.pagination.total);
        for (const asset of body.data) expect(idsOf[name].has(asset.id)).toBe(true);
        expect(gq.data.assets.items.map((a: { id: string }) => a.id)).toEqual(body.data.map((a: { id: string }) => a.id));
      }),
      { numRuns: 400 },
    );
  });

  it('pages add up to the total, without repeats', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(filterArb, fc.integer({ min: 1, max: 6 }), async (filter, perPage) => {
        const first = await restList(keyA, filter, 1, perPage);
        expect(first.statusCode).toBeLessThan(500);
        if (first.statusCode !== 200) return;
        const { total, total_pages: pages } = first.json().pagination;
        const seen: string[] = [];
        for (let page = 1; page <= pages + 1; page++) {
          const response = page === 1 ? first : await restList(keyA, filter, page, perPage);
          seen.push(...response.json().data.map((a: { id: string }) => a.id));
        }
        expect(seen).toHaveLength(total);
        expect(new Set(seen).size).toBe(total);
      }),
      { numRuns: 150 },
    );
  });

  it('any create body gets 201 or a 4xx in the face shape, never 5xx', { timeout: 600_000 }, async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.object({ maxDepth: 1 }),
    );
    const body = fc.record(
      {
        title: fc.oneof(value, fc.string({ unit: 'binary', minLength: 1, maxLength: 80 })),
        description: value,
        asset_type: fc.oneof(fc.constantFrom(...assetTypes), value),
        external_url: fc.oneof(fc.webUrl(), value),
        is_public: value,
        file_path: fc.oneof(fc.constant('/uploads/a.pdf'), value),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const rest = await t.app.inject({
          method: 'POST',
          url: '/api/v1/assets',
          headers: { authorization: `Bearer ${keyWriter}`, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        expect(rest.statusCode, rest.body).toBeLessThan(500);
        expect([201, 400]).toContain(rest.statusCode);
        if (rest.statusCode === 400) expect(rest.json()).toMatchObject({ error: 'Validation failed', message: expect.any(String) });

        const input = {
          title: payload.title,
          description: payload.description,
          assetType: typeof payload.asset_type === 'string' ? payload.asset_type.toUpperCase() : payload.asset_type,
          externalUrl: payload.external_url,
          isPublic: payload.is_public,
          filePath: payload.file_path,
        };
        const graphql = await t.app.inject({
          method: 'POST',
          url: '/graphql',
          headers: { authorization: `Bearer ${keyWriter}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ query: 'mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', variables: { i: input } }),
        });
        expect(graphql.statusCode, graphql.body).toBeLessThan(500);
        const errors = graphql.json().errors as { extensions: { code: string } }[] | undefined;
        for (const error of errors ?? []) expect(error.extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
      }),
      { numRuns: 600 },
    );
  });
});
