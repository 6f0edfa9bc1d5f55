import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { rest } from '../helpers/rest.ts';

/** Update, delete and restore of assets, through both faces. */
const t = useTestApp();

const Update = gql(`
  mutation ManageUpdate($id: ID!, $input: UpdateAssetInput!) {
    updateAsset(id: $id, input: $input) { id title slug description isPublic libraryId ... on ExternalVideoAsset { externalUrl videoEmbed } }
  }
`);
const Delete = gql(`mutation ManageDelete($id: ID!) { deleteAsset(id: $id) { id title } }`);
const Restore = gql(`mutation ManageRestore($id: ID!) { restoreAsset(id: $id) { id slug } }`);
const Get = gql(`query ManageGet($id: ID!) { asset(id: $id) { id title } node(id: $id) { id } }`);

const create = async (key: string, json: Record<string, unknown>) => {
  const response = await rest(t.app, key, 'post', '/api/v1/assets', { json });
  expect(response.status).toBe(201);
  return response.body.data;
};
const validation = (message: string, field: string) => ({ error: 'Validation failed', message, field });

describe('PATCH /api/v1/assets/{id} and updateAsset', () => {
  it('apply the create rules to the merged asset, keep the slug, re-derive the embed and ignore read-only fields', async () => {
    const key = await t.newKey();
    const video = await create(key, { title: 'Demo', asset_type: 'external_video', external_url: 'https://youtube.com/watch?v=a', description: 'first' });
    const patched = await rest(t.app, key, 'patch', `/api/v1/assets/${video.id}`, {
      json: { title: '  Renamed demo ', external_url: 'https://youtu.be/b', slug: 'mine', id: 'x', download_count: 5, asset_type: 'external_video' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      id: video.id,
      title: 'Renamed demo',
      slug: 'demo',
      description: 'first',
      external_url: 'https://youtu.be/b',
      video_embed: 'https://youtube.com/embed/b',
      download_count: 0,
      library_id: null,
      created_at: video.created_at,
    });
    expect(Date.parse(patched.body.data.updated_at)).toBeGreaterThanOrEqual(Date.parse(video.updated_at));
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${video.id}`)).body.data).toEqual(patched.body.data);

    const cleared = expectData(await graphql(t.app, key, Update, { id: video.id, input: { description: null, isPublic: true } }));
    expect(cleared.updateAsset).toMatchObject({ title: 'Renamed demo', description: null, isPublic: true, videoEmbed: 'https://youtube.com/embed/b' });
    // An empty body changes nothing but is no error.
    expect((await rest(t.app, key, 'patch', `/api/v1/assets/${video.id}`, { json: {} })).body.data).toMatchObject({ title: 'Renamed demo', is_public: true });
  });

  it('refuse what a create would refuse, a new type and a new file, naming the field, and change nothing', async () => {
    const key = await t.newKey();
    const link = await create(key, { title: 'Site', asset_type: 'link', external_url: 'https://example.com' });
    const patch = (json: unknown) => rest(t.app, key, 'patch', `/api/v1/assets/${link.id}`, { json });
    const cases: [unknown, Record<string, unknown>][] = [
      [{ title: '' }, validation('Title is required', 'title')],
      [{ title: null }, validation('Title is required', 'title')],
      [{ title: 'x'.repeat(501) }, validation('Title must be at most 500 characters', 'title')],
      [{ external_url: null }, validation('External URL is required for link assets', 'external_url')],
      [{ external_url: 'ftp://example.com' }, validation('External URL must be an absolute http or https URL', 'external_url')],
      [{ asset_type: 'pdf' }, validation('Asset type cannot change; create a new asset of the other type', 'asset_type')],
      [
        { asset_type: 'sheet' },
        validation('Asset type must be one of: pdf, document, image, video, external_video, audio, link, collection, git', 'asset_type'),
      ],
      [{ file_path: '/uploads/a.pdf' }, validation('File path cannot change; create a new asset to change its file', 'file_path')],
      [{ library_id: '550e8400-e29b-41d4-a716-446655440000' }, validation('Library not found in your workspace', 'library_id')],
      [{ is_public: 'yes' }, validation('Is public must be true or false', 'is_public')],
    ];
    for (const [json, body] of cases) {
      const response = await patch(json);
      expect({ json, status: response.status, body: response.body }).toEqual({ json, status: 400, body });
    }
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${link.id}`)).body.data).toEqual(link);

    const refused = await graphql(t.app, key, Update, { id: link.id, input: { assetType: 'PDF' } });
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'assetType' });
  });
});

describe('DELETE /api/v1/assets/{id}, restore, and their GraphQL mutations', () => {
  it('hide the asset from lookups, lists and totals at once, and bring it back with its slug', async () => {
    const key = await t.newKey();
    const kept = await create(key, { title: 'Kept', asset_type: 'pdf' });
    const gone = await create(key, { title: 'Gone', asset_type: 'pdf' });
    const deleted = await rest(t.app, key, 'delete', `/api/v1/assets/${gone.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toMatchObject({ id: gone.id, slug: 'gone' });
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${gone.id}`)).status).toBe(404);
    const list = await rest(t.app, key, 'get', '/api/v1/assets?asset_type=pdf');
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([kept.id]);
    expect(list.body.pagination.total).toBe(1);
    expect(expectData(await graphql(t.app, key, Get, { id: gone.id }))).toEqual({ asset: null, node: null });

    // Deleting again: the asset is not found, as for any lookup.
    expect(await rest(t.app, key, 'delete', `/api/v1/assets/${gone.id}`)).toMatchObject({
      status: 404,
      body: { error: 'Not found', message: 'Asset not found' },
    });
    // A new asset with the same title cannot take the deleted one's slug.
    expect((await create(key, { title: 'Gone', asset_type: 'image' })).slug).toBe('gone-2');

    const restored = await rest(t.app, key, 'post', `/api/v1/assets/${gone.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.data).toMatchObject({ id: gone.id, slug: 'gone', title: 'Gone' });
    expect((await rest(t.app, key, 'get', '/api/v1/assets?asset_type=pdf')).body.pagination.total).toBe(2);
    // Restoring what is not deleted answers it unchanged.
    const again = await rest(t.app, key, 'post', `/api/v1/assets/${gone.id}/restore`);
    expect(again).toMatchObject({ status: 200, body: { data: { id: gone.id, updated_at: restored.body.data.updated_at } } });

    expect(expectData(await graphql(t.app, key, Delete, { id: kept.id })).deleteAsset).toEqual({ id: kept.id, title: 'Kept' });
    const twice = await graphql(t.app, key, Delete, { id: kept.id });
    expect(twice.data).toBeNull();
    expect(twice.errors?.[0]).toMatchObject({ message: 'Asset not found', extensions: { code: 'NOT_FOUND' } });
    expect(expectData(await graphql(t.app, key, Restore, { id: kept.id })).restoreAsset).toEqual({ id: kept.id, slug: 'kept' });
  });
});

describe('update, delete and restore refuse', () => {
  it("a key without write:assets (403) and another workspace's asset (404, exactly as an unknown id), changing nothing", async () => {
    const owner = await t.newKey();
    const workspace = (await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: owner.slice(0, 16) }, include: { workspace: true } })).workspace.slug;
    const reader = await t.newKey(['read:assets'], workspace);
    const stranger = await t.newKey(['read:assets', 'write:assets']);
    const asset = await create(owner, { title: 'Mine', asset_type: 'pdf' });
    const doomed = await create(owner, { title: 'Doomed', asset_type: 'pdf' });
    await rest(t.app, owner, 'delete', `/api/v1/assets/${doomed.id}`);
    const unknown = '550e8400-e29b-41d4-a716-446655440000';
    const calls = (key: string, id: string) => [
      rest(t.app, key, 'patch', `/api/v1/assets/${id}`, { json: { title: 'Theirs now' } }),
      rest(t.app, key, 'delete', `/api/v1/assets/${id}`),
    ];
    for (const response of await Promise.all(calls(reader, asset.id))) {
      expect(response).toMatchObject({ status: 403, body: { error: 'Insufficient permissions', message: 'API key does not have write:assets scope' } });
    }
    expect((await rest(t.app, reader, 'post', `/api/v1/assets/${doomed.id}/restore`)).status).toBe(403);
    const foreign = await Promise.all([...calls(stranger, asset.id), rest(t.app, stranger, 'post', `/api/v1/assets/${doomed.id}/restore`)]);
    const unknownAnswers = await Promise.all([...calls(stranger, unknown), rest(t.app, stranger, 'post', `/api/v1/assets/${unknown}/restore`)]);
    for (const [i, response] of foreign.entries()) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(unknownAnswers[i].body);
    }
    expect((await rest(t.app, owner, 'get', `/api/v1/assets/${asset.id}`)).body.data).toEqual(asset);
    expect((await rest(t.app, owner, 'get', `/api/v1/assets/${doomed.id}`)).status).toBe(404);

    for (const response of [
      await graphql(t.app, stranger, Update, { id: asset.id, input: { title: 'x' } }),
      await graphql(t.app, stranger, Delete, { id: asset.id }),
      await graphql(t.app, stranger, Restore, { id: doomed.id }),
    ]) {
      expect(response.data).toBeNull();
      expect(response.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    const forbidden = await graphql(t.app, reader, Delete, { id: asset.id });
    expect(forbidden.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'write:assets' });
    expect((await rest(t.app, owner, 'get', `/api/v1/assets/${asset.id}`)).body.data).toEqual(asset);
  });
});
