import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { graphql, useTestApp } from '../helpers/app.ts';
import { rest } from '../helpers/rest.ts';

/** The same cases through both faces give the same data and the same field errors. */
const t = useTestApp();

const List = gql(`
  query ParityList($page: Int, $perPage: Int, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    assets(page: $page, perPage: $perPage, filter: $filter, sort: $sort, order: $order) {
      page perPage total totalPages
      items {
        id title slug description assetType isPublic downloadCount createdAt updatedAt
        ... on ExternalVideoAsset { externalUrl videoEmbed }
        ... on LinkAsset { externalUrl }
      }
    }
  }
`);
const Get = gql(`
  query ParityGet($id: ID!) { asset(id: $id) { id title slug assetType createdAt } }
`);
const Create = gql(`
  mutation ParityCreate($input: CreateAssetInput!) { createAsset(input: $input) { id title slug assetType } }
`);

const LibraryAndAssets = gql(`
  query ParityLibrary($id: ID!, $perPage: Int, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    library(id: $id) {
      id name slug description assetCount createdAt updatedAt
      assets(perPage: $perPage, filter: $filter, sort: $sort, order: $order) { page perPage total totalPages items { id title slug assetType libraryId } }
    }
    libraries { page perPage total totalPages items { id name slug description assetCount createdAt updatedAt } }
  }
`);
const CollectionItems = gql(`
  query ParityItems($id: ID!, $perPage: Int) {
    asset(id: $id) { ... on CollectionAsset { items(perPage: $perPage) { page perPage total totalPages items { id title } } } }
  }
`);
const Update = gql(`
  mutation ParityUpdate($id: ID!, $input: UpdateAssetInput!) { updateAsset(id: $id, input: $input) { id title } }
`);
const UpdateLibrary = gql(`
  mutation ParityUpdateLibrary($id: ID!, $input: UpdateLibraryInput!) { updateLibrary(id: $id, input: $input) { id } }
`);
const AddItems = gql(`
  mutation ParityAddItems($id: ID!, $assetIds: [ID!]!) { addCollectionItems(id: $id, assetIds: $assetIds) { id } }
`);

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** GraphQL spells enum values in upper case, REST in the contract's lower case. */
const upper = (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : value);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** REST's asset with camelCase keys, restricted to the fields the GraphQL side selected. */
function asGraphQL(restAsset: Record<string, unknown>, like: Record<string, unknown>) {
  const converted = Object.fromEntries(Object.entries(restAsset).map(([k, v]) => [camel(k), k === 'asset_type' ? upper(v) : v]));
  return Object.fromEntries(Object.keys(like).map((k) => [k, converted[k]]));
}

describe('GraphQL and REST agree', () => {
  it('on lists with each filter, sort and order, and on get', async () => {
    const key = await t.newKey();
    const inputs = [
      { title: 'Quarterly report', asset_type: 'pdf', description: 'numbers' },
      { title: 'Brand video', asset_type: 'external_video', external_url: 'https://vimeo.com/42' },
      { title: 'Logo', asset_type: 'image', description: 'the REPORT logo', is_public: true },
      { title: 'Docs site', asset_type: 'link', external_url: 'https://example.com/docs' },
      { title: 'Annual report', asset_type: 'pdf' },
      { title: '50% off', asset_type: 'document' },
    ];
    for (const input of inputs) expect((await rest(t.app, key, 'post', '/api/v1/assets', { json: input })).status).toBe(201);

    const queries: Record<string, string>[] = [
      {},
      { asset_type: 'pdf' },
      { search: 'report' },
      { search: '%' },
      { asset_type: 'pdf', search: 'annual' },
      { sort: 'title', order: 'asc' },
      { sort: 'updated_at', order: 'desc' },
      { sort: 'created_at', order: 'asc' },
      { per_page: '2', page: '2' },
      { per_page: '500' },
    ];
    for (const query of queries) {
      const restResponse = await rest(t.app, key, 'get', `/api/v1/assets?${new URLSearchParams(query)}`);
      const gqlResponse = await graphql(t.app, key, List, {
        page: query.page ? Number(query.page) : undefined,
        perPage: query.per_page ? Number(query.per_page) : undefined,
        filter: { assetType: upper(query.asset_type) as never, search: query.search },
        sort: upper(query.sort) as never,
        order: upper(query.order) as never,
      });
      const page = gqlResponse.data!.assets;
      expect(restResponse.body.pagination, JSON.stringify(query)).toEqual({
        page: page.page,
        per_page: page.perPage,
        total: page.total,
        total_pages: page.totalPages,
      });
      expect(
        restResponse.body.data.map((a: Record<string, unknown>, i: number) => asGraphQL(a, page.items[i] ?? {})),
        JSON.stringify(query),
      ).toEqual(page.items.map((item) => ({ ...item })));
      expect(restResponse.body.data).toHaveLength(page.items.length);
    }

    const [first] = (await rest(t.app, key, 'get', '/api/v1/assets')).body.data;
    const viaGraphQL = (await graphql(t.app, key, Get, { id: first.id })).data!.asset!;
    const viaRest = (await rest(t.app, key, 'get', `/api/v1/assets/${first.id}`)).body.data;
    expect(asGraphQL(viaRest, viaGraphQL)).toEqual(viaGraphQL);
  });

  it('on every validation failure, the missing scope and the missing key', async () => {
    const key = await t.newKey();
    const readOnly = await t.newKey(['read:assets']);
    const bodies: Record<string, unknown>[] = [
      {},
      { title: '' },
      { title: ' ', asset_type: 'pdf' },
      { title: 'x'.repeat(501), asset_type: 'pdf' },
      { title: 1, asset_type: 'pdf' },
      { title: 'x' },
      { title: 'x', asset_type: 'nope' },
      { title: 'x', asset_type: 'link' },
      { title: 'x', asset_type: 'external_video', external_url: 'mailto:a@b.c' },
      { title: 'x', asset_type: 'pdf', is_public: 1 },
      { title: 'x', asset_type: 'pdf', file_path: '/tmp/x' },
    ];
    for (const [label, k, bodyList] of [
      ['write key', key, bodies],
      ['read-only key', readOnly, [{ title: 'x', asset_type: 'pdf' }]],
      ['no key', null, [{ title: 'x', asset_type: 'pdf' }]],
    ] as const) {
      for (const body of bodyList) {
        const restResponse = await rest(t.app, k, 'post', '/api/v1/assets', { json: body });
        const input = Object.fromEntries(Object.entries(body).map(([name, value]) => [camel(name), name === 'asset_type' ? upper(value) : value]));
        const gqlResponse = await graphql(t.app, k, Create, { input: input as never });
        const [error] = gqlResponse.errors ?? [];
        expect(error, `${label} ${JSON.stringify(body)}`).toBeDefined();
        const field = error.extensions?.field as string | undefined;
        expect(restResponse.body, `${label} ${JSON.stringify(body)}`).toEqual({
          error: { BAD_USER_INPUT: 'Validation failed', FORBIDDEN: 'Insufficient permissions', UNAUTHENTICATED: 'Unauthorized' }[
            error.extensions!.code as string
          ],
          // An enum refusal lists the values as each face spells them; otherwise the words are the same.
          message: field === 'assetType' && /one of/.test(error.message) ? error.message.replace(/: .*/, (values) => values.toLowerCase()) : error.message,
          ...(field ? { field: snake(field) } : {}),
        });
      }
    }
  });

  it('on a create: the same rules make the same asset', async () => {
    const key = await t.newKey();
    const body = { title: '  Launch  ', asset_type: 'external_video', external_url: 'https://youtu.be/abc' };
    const viaRest = (await rest(t.app, key, 'post', '/api/v1/assets', { json: body })).body.data;
    const viaGraphQL = (await graphql(t.app, key, Create, { input: { title: body.title, assetType: 'EXTERNAL_VIDEO', externalUrl: body.external_url } })).data!
      .createAsset;
    expect({ title: viaRest.title, slug: viaRest.slug, assetType: viaRest.asset_type }).toEqual({
      title: 'Launch',
      slug: 'launch',
      assetType: 'external_video',
    });
    expect(viaGraphQL).toMatchObject({ title: 'Launch', slug: 'launch-2', assetType: 'EXTERNAL_VIDEO' });
  });

  it('on libraries, their assets and collection items', async () => {
    const key = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries']);
    const library = (await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'Kit', description: 'press' } })).body.data;
    const box = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Box', asset_type: 'collection' } })).body.data;
    const ids: string[] = [];
    for (const [title, asset_type] of [
      ['Logo', 'image'],
      ['Deck', 'pdf'],
      ['Brief', 'pdf'],
    ]) {
      ids.push((await rest(t.app, key, 'post', '/api/v1/assets', { json: { title, asset_type, library_id: library.id } })).body.data.id);
    }
    await rest(t.app, key, 'post', `/api/v1/assets/${box.id}/items`, { json: { asset_ids: [ids[2], ids[0]] } });

    for (const query of [{}, { asset_type: 'pdf' }, { sort: 'title', order: 'asc', per_page: '2' }, { search: 'LO' }] as Record<string, string>[]) {
      const viaRest = await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}/assets?${new URLSearchParams(query)}`);
      const viaGraphQL = (
        await graphql(t.app, key, LibraryAndAssets, {
          id: library.id,
          perPage: query.per_page ? Number(query.per_page) : undefined,
          filter: { assetType: upper(query.asset_type) as never, search: query.search },
          sort: upper(query.sort) as never,
          order: upper(query.order) as never,
        })
      ).data!;
      const page = viaGraphQL.library!.assets;
      expect(viaRest.body.pagination).toEqual({ page: page.page, per_page: page.perPage, total: page.total, total_pages: page.totalPages });
      expect(viaRest.body.data.map((a: Record<string, unknown>, i: number) => asGraphQL(a, page.items[i]))).toEqual(page.items);

      const { assets: _assets, ...libraryViaGraphQL } = viaGraphQL.library!;
      expect(asGraphQL((await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}`)).body.data, libraryViaGraphQL)).toEqual(libraryViaGraphQL);
      const list = (await rest(t.app, key, 'get', '/api/v1/libraries')).body;
      expect(list.data.map((l: Record<string, unknown>, i: number) => asGraphQL(l, viaGraphQL.libraries.items[i]))).toEqual(viaGraphQL.libraries.items);
      expect(list.pagination.total).toBe(viaGraphQL.libraries.total);
    }

    const items = (await graphql(t.app, key, CollectionItems, { id: box.id, perPage: 1 })).data!.asset as {
      items: { page: number; perPage: number; total: number; totalPages: number; items: { id: string; title: string }[] };
    };
    const itemsViaRest = await rest(t.app, key, 'get', `/api/v1/assets/${box.id}/items?per_page=1`);
    expect(itemsViaRest.body.pagination).toEqual({ page: 1, per_page: 1, total: 2, total_pages: 2 });
    expect(itemsViaRest.body.data.map((a: Record<string, unknown>, i: number) => asGraphQL(a, items.items.items[i]))).toEqual(items.items.items);
    expect(items.items.items[0].id).toBe(ids[2]);
  });

  it('on the refusals of updates, libraries and collection items', async () => {
    const key = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries']);
    const link = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Site', asset_type: 'link', external_url: 'https://example.com' } })).body
      .data;
    const library = (await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'Kit' } })).body.data;
    const box = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Box', asset_type: 'collection' } })).body.data;
    const unknown = '550e8400-e29b-41d4-a716-446655440000';
    const compare = (label: string, restBody: unknown, errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined) => {
      const [error] = errors ?? [];
      expect(error, label).toBeDefined();
      const field = error.extensions?.field as string | undefined;
      expect(restBody, label).toEqual({
        error: { BAD_USER_INPUT: 'Validation failed', NOT_FOUND: 'Not found' }[error.extensions!.code as string],
        message: field === 'assetType' && /one of/.test(error.message) ? error.message.replace(/: .*/, (values) => values.toLowerCase()) : error.message,
        ...(field ? { field: snake(field) } : {}),
      });
    };
    const patches: Record<string, unknown>[] = [
      { title: '' },
      { title: null },
      { external_url: null },
      { asset_type: 'pdf' },
      { file_path: '/uploads/x' },
      { library_id: unknown },
      { is_public: 'no' },
    ];
    for (const body of patches) {
      const input = Object.fromEntries(Object.entries(body).map(([name, value]) => [camel(name), name === 'asset_type' ? upper(value) : value]));
      compare(
        JSON.stringify(body),
        (await rest(t.app, key, 'patch', `/api/v1/assets/${link.id}`, { json: body })).body,
        (await graphql(t.app, key, Update, { id: link.id, input: input as never })).errors,
      );
    }
    compare(
      'unknown asset',
      (await rest(t.app, key, 'patch', `/api/v1/assets/${unknown}`, { json: { title: 'x' } })).body,
      (await graphql(t.app, key, Update, { id: unknown, input: { title: 'x' } })).errors,
    );
    compare(
      'library name',
      (await rest(t.app, key, 'patch', `/api/v1/libraries/${library.id}`, { json: { name: '' } })).body,
      (await graphql(t.app, key, UpdateLibrary, { id: library.id, input: { name: '' } })).errors,
    );
    compare(
      'unknown library',
      (await rest(t.app, key, 'patch', `/api/v1/libraries/${unknown}`, { json: { name: 'x' } })).body,
      (await graphql(t.app, key, UpdateLibrary, { id: unknown, input: { name: 'x' } })).errors,
    );
    for (const assetIds of [[box.id], [unknown], [link.id, link.id]]) {
      compare(
        JSON.stringify(assetIds),
        (await rest(t.app, key, 'post', `/api/v1/assets/${box.id}/items`, { json: { asset_ids: assetIds } })).body,
        (await graphql(t.app, key, AddItems, { id: box.id, assetIds })).errors,
      );
    }
    compare(
      'not a collection',
      (await rest(t.app, key, 'post', `/api/v1/assets/${link.id}/items`, { json: { asset_ids: [box.id] } })).body,
      (await graphql(t.app, key, AddItems, { id: link.id, assetIds: [box.id] })).errors,
    );
  });
});
