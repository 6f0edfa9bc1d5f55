import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { rest } from '../helpers/rest.ts';

/** Collections: ordered items, no duplicates, no cycles, one workspace, deleted members drop out. */
const t = useTestApp();

const Items = gql(`
  query CollectionItemsPage($id: ID!, $page: Int, $perPage: Int) {
    asset(id: $id) { id ... on CollectionAsset { items(page: $page, perPage: $perPage) { page perPage total totalPages items { id title } } } }
  }
`);
const Add = gql(`mutation CollectionAdd($id: ID!, $assetIds: [ID!]!) { addCollectionItems(id: $id, assetIds: $assetIds) { id items { total items { id } } } }`);
const Remove = gql(
  `mutation CollectionRemove($id: ID!, $assetIds: [ID!]!) { removeCollectionItems(id: $id, assetIds: $assetIds) { id items { items { id } } } }`,
);
const Reorder = gql(
  `mutation CollectionReorder($id: ID!, $assetIds: [ID!]!) { reorderCollectionItems(id: $id, assetIds: $assetIds) { id items { items { id } } } }`,
);

const create = async (key: string, title: string, asset_type = 'pdf') => {
  const response = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title, asset_type } });
  expect(response.status).toBe(201);
  return response.body.data.id as string;
};
const itemIds = async (key: string, collection: string, query = '') => {
  const response = await rest(t.app, key, 'get', `/api/v1/assets/${collection}/items${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data.map((a: { id: string }) => a.id) as string[];
};
const validation = (message: string) => ({ error: 'Validation failed', message, field: 'asset_ids' });

describe('collection items', () => {
  it('are added in order, paged, reordered and removed through REST and GraphQL', async () => {
    const key = await t.newKey();
    const box = await create(key, 'Box', 'collection');
    const [a, b, c, d] = [await create(key, 'A'), await create(key, 'B'), await create(key, 'C', 'image'), await create(key, 'D', 'collection')];

    const added = await rest(t.app, key, 'post', `/api/v1/assets/${box}/items`, { json: { asset_ids: [b, a, c] } });
    expect(added.status).toBe(200);
    expect(added.body.data.map((x: { id: string }) => x.id)).toEqual([b, a, c]);
    expect(added.body.pagination).toEqual({ page: 1, per_page: 20, total: 3, total_pages: 1 });
    expect(expectData(await graphql(t.app, key, Add, { id: box, assetIds: [d] })).addCollectionItems.items.items.map((x) => x.id)).toEqual([b, a, c, d]);

    const page = expectData(await graphql(t.app, key, Items, { id: box, page: 2, perPage: 3 }));
    expect(page.asset).toEqual({ id: box, items: { page: 2, perPage: 3, total: 4, totalPages: 2, items: [{ id: d, title: 'D' }] } });
    expect(await itemIds(key, box, '?page=2&per_page=3')).toEqual([d]);

    const reordered = await rest(t.app, key, 'put', `/api/v1/assets/${box}/items/order`, { json: { asset_ids: [d, c, b, a] } });
    expect(reordered.body.data.map((x: { id: string }) => x.id)).toEqual([d, c, b, a]);
    expect(expectData(await graphql(t.app, key, Reorder, { id: box, assetIds: [a, b, c, d] })).reorderCollectionItems.items.items.map((x) => x.id)).toEqual([
      a,
      b,
      c,
      d,
    ]);

    const removed = await rest(t.app, key, 'delete', `/api/v1/assets/${box}/items/${b}`);
    expect(removed.body.data.map((x: { id: string }) => x.id)).toEqual([a, c, d]);
    expect(expectData(await graphql(t.app, key, Remove, { id: box, assetIds: [a, d] })).removeCollectionItems.items.items.map((x) => x.id)).toEqual([c]);
    // The removed assets themselves stay.
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${b}`)).status).toBe(200);
  });

  it('drop a deleted member until it is restored, at its place, and reorder around it', async () => {
    const key = await t.newKey();
    const box = await create(key, 'Box', 'collection');
    const [a, b, c] = [await create(key, 'A'), await create(key, 'B'), await create(key, 'C')];
    await rest(t.app, key, 'post', `/api/v1/assets/${box}/items`, { json: { asset_ids: [a, b, c] } });
    await rest(t.app, key, 'delete', `/api/v1/assets/${b}`);
    expect(await itemIds(key, box)).toEqual([a, c]);
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${box}/items`)).body.pagination.total).toBe(2);
    // Reorder names the visible items only; the deleted one keeps its place.
    expect((await rest(t.app, key, 'put', `/api/v1/assets/${box}/items/order`, { json: { asset_ids: [c, a] } })).status).toBe(200);
    await rest(t.app, key, 'post', `/api/v1/assets/${b}/restore`);
    expect(await itemIds(key, box)).toEqual([c, b, a]);
  });

  it('refuse duplicates, the collection itself, cycles, unknown and foreign assets, and non-collections, changing nothing', async () => {
    const key = await t.newKey();
    const stranger = await t.newKey();
    const outer = await create(key, 'Outer', 'collection');
    const inner = await create(key, 'Inner', 'collection');
    const deepest = await create(key, 'Deepest', 'collection');
    const a = await create(key, 'A');
    const plain = await create(key, 'Plain');
    const foreign = await create(stranger, 'Foreign');
    const unknown = '550e8400-e29b-41d4-a716-446655440000';
    await rest(t.app, key, 'post', `/api/v1/assets/${outer}/items`, { json: { asset_ids: [a, inner] } });
    await rest(t.app, key, 'post', `/api/v1/assets/${inner}/items`, { json: { asset_ids: [deepest] } });
    const add = (collection: string, asset_ids: unknown, k = key) => rest(t.app, k, 'post', `/api/v1/assets/${collection}/items`, { json: { asset_ids } });

    const cases: [string, Promise<Awaited<ReturnType<typeof rest>>>, number, Record<string, unknown>][] = [
      ['already a member', add(outer, [a]), 400, validation(`Asset ${a} is already in the collection`)],
      ['twice in one call', add(outer, [plain, plain]), 400, validation(`Asset ${plain} is listed twice`)],
      ['itself', add(outer, [outer]), 400, validation('A collection cannot contain itself')],
      [
        'a cycle through two levels',
        add(deepest, [outer]),
        400,
        validation('Adding these assets would make a cycle: the collection is already inside one of them'),
      ],
      ['a direct cycle', add(inner, [outer]), 400, validation('Adding these assets would make a cycle: the collection is already inside one of them')],
      ["another workspace's asset", add(outer, [foreign]), 400, validation(`Asset ${foreign} not found in your workspace`)],
      ['an unknown asset', add(outer, [unknown]), 400, validation(`Asset ${unknown} not found in your workspace`)],
      ['a malformed id', add(outer, ['nope']), 400, validation('Asset nope not found in your workspace')],
      ['no ids', add(outer, []), 400, validation('Asset IDs must name at least one asset')],
      ['asset_ids missing', rest(t.app, key, 'post', `/api/v1/assets/${outer}/items`, { json: {} }), 400, validation('Asset IDs is required')],
      ['asset_ids not strings', add(outer, [{ id: a }]), 400, validation('Asset IDs must be a string')],
      ['remove a non-member', rest(t.app, key, 'delete', `/api/v1/assets/${outer}/items/${plain}`), 400, validation(`Asset ${plain} is not in the collection`)],
      [
        'reorder missing one',
        rest(t.app, key, 'put', `/api/v1/assets/${outer}/items/order`, { json: { asset_ids: [a] } }),
        400,
        validation("Asset IDs must list each of the collection's 2 items exactly once"),
      ],
      [
        'reorder with a stranger',
        rest(t.app, key, 'put', `/api/v1/assets/${outer}/items/order`, { json: { asset_ids: [a, plain] } }),
        400,
        validation("Asset IDs must list each of the collection's 2 items exactly once"),
      ],
      ['not a collection', add(plain, [a]), 404, { error: 'Not found', message: 'Collection not found' }],
      ['items of a non-collection', rest(t.app, key, 'get', `/api/v1/assets/${plain}/items`), 404, { error: 'Not found', message: 'Collection not found' }],
      ['items of an unknown asset', rest(t.app, key, 'get', `/api/v1/assets/${unknown}/items`), 404, { error: 'Not found', message: 'Collection not found' }],
    ];
    for (const [name, call, status, body] of cases) {
      const response = await call;
      expect({ name, status: response.status, body: response.body }).toEqual({ name, status, body });
    }
    expect(await itemIds(key, outer)).toEqual([a, inner]);
    expect(await itemIds(key, inner)).toEqual([deepest]);
    expect(await itemIds(key, deepest)).toEqual([]);
  });

  it("answer another workspace's collection like an unknown one and need write:assets, changing nothing", async () => {
    const owner = await t.newKey();
    const workspace = (await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: owner.slice(0, 16) }, include: { workspace: true } })).workspace.slug;
    const reader = await t.newKey(['read:assets'], workspace);
    const stranger = await t.newKey();
    const box = await create(owner, 'Box', 'collection');
    const a = await create(owner, 'A');
    const theirs = await create(stranger, 'Theirs');
    await rest(t.app, owner, 'post', `/api/v1/assets/${box}/items`, { json: { asset_ids: [a] } });
    const unknown = '550e8400-e29b-41d4-a716-446655440000';
    const calls = (key: string, id: string, member: string) => [
      () => rest(t.app, key, 'get', `/api/v1/assets/${id}/items`),
      () => rest(t.app, key, 'post', `/api/v1/assets/${id}/items`, { json: { asset_ids: [member] } }),
      () => rest(t.app, key, 'delete', `/api/v1/assets/${id}/items/${a}`),
      () => rest(t.app, key, 'put', `/api/v1/assets/${id}/items/order`, { json: { asset_ids: [a] } }),
    ];
    const foreign = [];
    for (const call of calls(stranger, box, theirs)) foreign.push(await call());
    const unknownAnswers = [];
    for (const call of calls(stranger, unknown, theirs)) unknownAnswers.push(await call());
    expect(foreign.map((r) => [r.status, r.body])).toEqual(unknownAnswers.map((r) => [r.status, r.body]));
    expect(foreign.every((r) => r.status === 404)).toBe(true);
    const [, ...writes] = calls(reader, box, a);
    for (const call of writes) {
      expect(await call()).toMatchObject({ status: 403, body: { message: 'API key does not have write:assets scope' } });
    }
    const gqlForeign = await graphql(t.app, stranger, Add, { id: box, assetIds: [theirs] });
    expect(gqlForeign.data).toBeNull();
    expect(gqlForeign.errors?.[0]).toMatchObject({ message: 'Collection not found', extensions: { code: 'NOT_FOUND' } });
    expect(expectData(await graphql(t.app, stranger, Items, { id: box })).asset).toBeNull();
    expect(await itemIds(owner, box)).toEqual([a]);
  });

  it('never make a cycle from two concurrent adds that each alone would be fine', async () => {
    const key = await t.newKey();
    const first = await create(key, 'First', 'collection');
    const second = await create(key, 'Second', 'collection');
    const [one, two] = await Promise.all([
      rest(t.app, key, 'post', `/api/v1/assets/${first}/items`, { json: { asset_ids: [second] } }),
      rest(t.app, key, 'post', `/api/v1/assets/${second}/items`, { json: { asset_ids: [first] } }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 400]);
    expect([...(await itemIds(key, first)), ...(await itemIds(key, second))]).toHaveLength(1);
  });
});
