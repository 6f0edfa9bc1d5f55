import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { rest } from '../helpers/rest.ts';

/** Libraries through both faces: CRUD, membership of assets, scopes and workspace isolation. */
const t = useTestApp();

const everyScope = ['read:assets', 'write:assets', 'read:libraries', 'write:libraries'] as const;
const unknownId = '550e8400-e29b-41d4-a716-446655440000';

const LibraryWithAssets = gql(`
  query LibraryWithAssets($id: ID!, $perPage: Int, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    library(id: $id) {
      id name slug description assetCount createdAt updatedAt
      assets(perPage: $perPage, filter: $filter, sort: $sort, order: $order) { page perPage total totalPages items { id title libraryId library { id name } } }
    }
  }
`);
const Libraries = gql(`
  query LibrariesPage($page: Int, $perPage: Int) { libraries(page: $page, perPage: $perPage) { page perPage total totalPages items { id name slug assetCount } } }
`);
const CreateLibrary = gql(`mutation LibraryCreate($input: CreateLibraryInput!) { createLibrary(input: $input) { id name slug description } }`);
const UpdateLibrary = gql(
  `mutation LibraryUpdate($id: ID!, $input: UpdateLibraryInput!) { updateLibrary(id: $id, input: $input) { id name slug description } }`,
);
const DeleteLibrary = gql(`mutation LibraryDelete($id: ID!) { deleteLibrary(id: $id) { id name } }`);
const AssetLibrary = gql(`query AssetLibrary($id: ID!) { asset(id: $id) { id libraryId library { id name } } }`);

const post = async (key: string, url: string, json: unknown) => {
  const response = await rest(t.app, key, 'post', url, { json });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data;
};

describe('libraries', () => {
  it('are created, listed by name, read, renamed (slug kept) and deleted through REST', async () => {
    const key = await t.newKey([...everyScope]);
    const design = await post(key, '/api/v1/libraries', { name: '  Design ', description: 'logos', slug: 'ignored', asset_count: 9 });
    expect(design).toMatchObject({ name: 'Design', slug: 'design', description: 'logos', asset_count: 0 });
    expect(Object.keys(design)).toEqual(['id', 'name', 'slug', 'description', 'asset_count', 'created_at', 'updated_at']);
    const second = await post(key, '/api/v1/libraries', { name: 'design' });
    expect(second.slug).toBe('design-2');
    // Library slugs count apart from asset slugs.
    expect((await post(key, '/api/v1/assets', { title: 'Design', asset_type: 'pdf' })).slug).toBe('design');
    const archive = await post(key, '/api/v1/libraries', { name: 'Archive' });

    const list = await rest(t.app, key, 'get', '/api/v1/libraries?per_page=2');
    expect(list.body.pagination).toEqual({ page: 1, per_page: 2, total: 3, total_pages: 2 });
    expect(list.body.data.map((l: { name: string }) => l.name)).toEqual(['Archive', 'Design']);
    expect((await rest(t.app, key, 'get', '/api/v1/libraries?page=2&per_page=2')).body.data.map((l: { id: string }) => l.id)).toEqual([second.id]);

    expect((await rest(t.app, key, 'get', `/api/v1/libraries/${design.id}`)).body.data).toEqual(design);
    const renamed = await rest(t.app, key, 'patch', `/api/v1/libraries/${design.id}`, { json: { name: 'Brand', description: null } });
    expect(renamed.body.data).toMatchObject({ id: design.id, name: 'Brand', slug: 'design', description: null });

    const deleted = await rest(t.app, key, 'delete', `/api/v1/libraries/${archive.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { data: { id: archive.id, name: 'Archive' } } });
    expect((await rest(t.app, key, 'get', `/api/v1/libraries/${archive.id}`)).status).toBe(404);
    expect((await rest(t.app, key, 'delete', `/api/v1/libraries/${archive.id}`)).status).toBe(404);
  });

  it('hold assets that join with library_id on create and PATCH, leave with null, and stay when the library is deleted', async () => {
    const key = await t.newKey([...everyScope]);
    const library = await post(key, '/api/v1/libraries', { name: 'Brand' });
    const logo = await post(key, '/api/v1/assets', { title: 'Logo', asset_type: 'image', library_id: library.id });
    const guide = await post(key, '/api/v1/assets', { title: 'Guide', asset_type: 'pdf' });
    const old = await post(key, '/api/v1/assets', { title: 'Old logo', asset_type: 'image', library_id: library.id });
    expect(logo.library_id).toBe(library.id);
    expect((await rest(t.app, key, 'patch', `/api/v1/assets/${guide.id}`, { json: { library_id: library.id } })).body.data.library_id).toBe(library.id);
    await rest(t.app, key, 'delete', `/api/v1/assets/${old.id}`);

    const assets = await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}/assets?sort=title&order=asc`);
    expect(assets.body.data.map((a: { title: string }) => a.title)).toEqual(['Guide', 'Logo']);
    expect(assets.body.pagination).toEqual({ page: 1, per_page: 20, total: 2, total_pages: 1 });
    const images = await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}/assets?asset_type=image&search=LOG`);
    expect(images.body.data.map((a: { id: string }) => a.id)).toEqual([logo.id]);
    expect(images.body.pagination.total).toBe(1);
    expect((await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}`)).body.data.asset_count).toBe(2);

    const data = expectData(await graphql(t.app, key, LibraryWithAssets, { id: library.id, perPage: 1, sort: 'TITLE', order: 'DESC' }));
    expect(data.library?.assetCount).toBe(2);
    expect(data.library?.assets).toEqual({
      page: 1,
      perPage: 1,
      total: 2,
      totalPages: 2,
      items: [{ id: logo.id, title: 'Logo', libraryId: library.id, library: { id: library.id, name: 'Brand' } }],
    });

    // null leaves the library; the restored asset comes back into it.
    expect((await rest(t.app, key, 'patch', `/api/v1/assets/${guide.id}`, { json: { library_id: null } })).body.data.library_id).toBeNull();
    await rest(t.app, key, 'post', `/api/v1/assets/${old.id}/restore`);
    expect((await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}`)).body.data.asset_count).toBe(2);

    expect((await rest(t.app, key, 'delete', `/api/v1/libraries/${library.id}`)).status).toBe(200);
    for (const asset of [logo, old]) {
      const after = await rest(t.app, key, 'get', `/api/v1/assets/${asset.id}`);
      expect(after.body.data).toMatchObject({ id: asset.id, library_id: null });
    }
  });

  it('are the same through GraphQL: create, rename, list, delete, with field-named errors', async () => {
    const key = await t.newKey([...everyScope]);
    const created = expectData(await graphql(t.app, key, CreateLibrary, { input: { name: 'Photos', description: ' trips ' } })).createLibrary;
    expect(created).toMatchObject({ name: 'Photos', slug: 'photos', description: 'trips' });
    const blank = await graphql(t.app, key, CreateLibrary, { input: { name: '   ' } });
    expect(blank.errors?.[0]).toMatchObject({ message: 'Name is required', extensions: { code: 'BAD_USER_INPUT', field: 'name' } });
    const long = await graphql(t.app, key, UpdateLibrary, { id: created.id, input: { name: 'x'.repeat(201) } });
    expect(long.errors?.[0]).toMatchObject({ message: 'Name must be at most 200 characters', extensions: { field: 'name' } });
    expect(expectData(await graphql(t.app, key, UpdateLibrary, { id: created.id, input: { description: 'holidays' } })).updateLibrary).toMatchObject({
      name: 'Photos',
      slug: 'photos',
      description: 'holidays',
    });
    expect(expectData(await graphql(t.app, key, Libraries, { perPage: 500 })).libraries).toMatchObject({
      perPage: 100,
      total: 1,
      items: [{ id: created.id, assetCount: 0 }],
    });
    expect(expectData(await graphql(t.app, key, DeleteLibrary, { id: created.id })).deleteLibrary).toEqual({ id: created.id, name: 'Photos' });
    expect(expectData(await graphql(t.app, key, Libraries, {})).libraries.total).toBe(0);
  });
});

describe('library scopes and workspaces', () => {
  it('need read:libraries / write:libraries, and read:assets for their assets', async () => {
    const owner = await t.newKey([...everyScope]);
    const workspace = (await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: owner.slice(0, 16) }, include: { workspace: true } })).workspace.slug;
    const library = await post(owner, '/api/v1/libraries', { name: 'Team' });
    const asset = await post(owner, '/api/v1/assets', { title: 'In it', asset_type: 'pdf', library_id: library.id });
    const assetsOnly = await t.newKey(['read:assets', 'write:assets'], workspace);
    const librariesOnly = await t.newKey(['read:libraries'], workspace);
    const forbidden = (scope: string) => ({ status: 403, body: { error: 'Insufficient permissions', message: `API key does not have ${scope} scope` } });

    expect(await rest(t.app, assetsOnly, 'get', '/api/v1/libraries')).toMatchObject(forbidden('read:libraries'));
    expect(await rest(t.app, assetsOnly, 'get', `/api/v1/libraries/${library.id}`)).toMatchObject(forbidden('read:libraries'));
    expect(await rest(t.app, assetsOnly, 'post', '/api/v1/libraries', { json: { name: 'No' } })).toMatchObject(forbidden('write:libraries'));
    expect(await rest(t.app, librariesOnly, 'patch', `/api/v1/libraries/${library.id}`, { json: { name: 'No' } })).toMatchObject(forbidden('write:libraries'));
    expect(await rest(t.app, librariesOnly, 'delete', `/api/v1/libraries/${library.id}`)).toMatchObject(forbidden('write:libraries'));
    expect(await rest(t.app, librariesOnly, 'get', `/api/v1/libraries/${library.id}/assets`)).toMatchObject(forbidden('read:assets'));
    // Joining a library is part of writing the asset: write:assets is enough.
    expect((await rest(t.app, assetsOnly, 'patch', `/api/v1/assets/${asset.id}`, { json: { library_id: null } })).body.data.library_id).toBeNull();
    expect((await rest(t.app, assetsOnly, 'patch', `/api/v1/assets/${asset.id}`, { json: { library_id: library.id } })).body.data.library_id).toBe(library.id);

    // Without read:libraries an asset shows its library's id (its own column), never the library.
    const partial = await graphql(t.app, assetsOnly, AssetLibrary, { id: asset.id });
    expect(partial.data?.asset).toEqual({ id: asset.id, libraryId: library.id, library: null });
    expect(partial.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:libraries' });
    expect(expectData(await graphql(t.app, owner, AssetLibrary, { id: asset.id })).asset?.library).toEqual({ id: library.id, name: 'Team' });
    expect((await rest(t.app, owner, 'get', `/api/v1/libraries/${library.id}`)).body.data).toMatchObject({ name: 'Team', asset_count: 1 });
  });

  it("answer another workspace's library exactly like an unknown one, and change nothing", async () => {
    const owner = await t.newKey([...everyScope]);
    const stranger = await t.newKey([...everyScope]);
    const library = await post(owner, '/api/v1/libraries', { name: 'Private' });
    const mine = await post(owner, '/api/v1/assets', { title: 'Mine', asset_type: 'pdf', library_id: library.id });
    const theirs = await post(stranger, '/api/v1/assets', { title: 'Theirs', asset_type: 'pdf' });

    const answersFor = (id: string) =>
      Promise.all([
        rest(t.app, stranger, 'get', `/api/v1/libraries/${id}`),
        rest(t.app, stranger, 'patch', `/api/v1/libraries/${id}`, { json: { name: 'Taken' } }),
        rest(t.app, stranger, 'delete', `/api/v1/libraries/${id}`),
        rest(t.app, stranger, 'get', `/api/v1/libraries/${id}/assets`),
        rest(t.app, stranger, 'post', '/api/v1/assets', { json: { title: 'Sneak', asset_type: 'pdf', library_id: id } }),
        rest(t.app, stranger, 'patch', `/api/v1/assets/${theirs.id}`, { json: { library_id: id } }),
      ]);
    const foreign = await answersFor(library.id);
    const unknown = await answersFor(unknownId);
    expect(foreign.map((r) => [r.status, r.body])).toEqual(unknown.map((r) => [r.status, r.body]));
    expect(foreign.map((r) => r.status)).toEqual([404, 404, 404, 404, 400, 400]);
    expect(foreign[4].body).toEqual({ error: 'Validation failed', message: 'Library not found in your workspace', field: 'library_id' });

    expect((await rest(t.app, stranger, 'get', '/api/v1/libraries')).body.pagination.total).toBe(0);
    expect((await rest(t.app, stranger, 'get', '/api/v1/assets')).body.pagination.total).toBe(1);
    expect((await rest(t.app, owner, 'get', `/api/v1/libraries/${library.id}`)).body.data).toMatchObject({ name: 'Private', asset_count: 1 });
    expect((await rest(t.app, owner, 'get', `/api/v1/assets/${mine.id}`)).body.data.library_id).toBe(library.id);

    for (const response of [
      await graphql(t.app, stranger, LibraryWithAssets, { id: library.id }),
      await graphql(t.app, stranger, UpdateLibrary, { id: library.id, input: { name: 'x' } }),
      await graphql(t.app, stranger, DeleteLibrary, { id: library.id }),
    ]) {
      expect(response.data === null || (response.data as { library?: unknown }).library === null).toBe(true);
      if (response.errors) expect(response.errors[0].extensions?.code).toBe('NOT_FOUND');
    }
    expect((await rest(t.app, owner, 'get', `/api/v1/libraries/${library.id}`)).body.data.name).toBe('Private');
  });
});
