import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/keys.ts';
import { pruneEvents } from '../../src/domain/events.ts';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { type Live, sseSubscribe, wsClient, wsSubscribe } from '../helpers/events.ts';
import { rest } from '../helpers/rest.ts';

/**
 * The event log and its subscriptions: every change through either face is one event, written
 * with the change; subscribers over SSE and WebSocket receive their workspace's events live, and
 * resume after the last one they saw without gap or duplicate.
 */
const t = useTestApp({ SUBSCRIPTIONS_PER_KEY: '4', KEY_CACHE_TTL_MS: '500' });
let base = '';
beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});

const CreateAsset = gql(`mutation EventsCreate($input: CreateAssetInput!) { createAsset(input: $input) { id assetType title updatedAt } }`);
const UpdateAsset = gql(`mutation EventsUpdate($id: ID!, $input: UpdateAssetInput!) { updateAsset(id: $id, input: $input) { id } }`);
const DeleteAsset = gql(`mutation EventsDelete($id: ID!) { deleteAsset(id: $id) { id } }`);
const RestoreAsset = gql(`mutation EventsRestore($id: ID!) { restoreAsset(id: $id) { id } }`);
const AddItems = gql(`mutation EventsAddItems($id: ID!, $assetIds: [ID!]!) { addCollectionItems(id: $id, assetIds: $assetIds) { id } }`);
const CreateLibrary = gql(`mutation EventsCreateLibrary($input: CreateLibraryInput!) { createLibrary(input: $input) { id } }`);
const UpdateLibrary = gql(`mutation EventsUpdateLibrary($id: ID!, $input: UpdateLibraryInput!) { updateLibrary(id: $id, input: $input) { id } }`);
const DeleteLibrary = gql(`mutation EventsDeleteLibrary($id: ID!) { deleteLibrary(id: $id) { id } }`);

const subscription = `subscription Live($filter: AssetEventFilter, $after: ID) {
  assetEvents(filter: $filter, after: $after) { id type occurredAt assetId asset { id title assetType } }
}`;

const allScopes = ['read:assets', 'write:assets', 'read:libraries', 'write:libraries'] as const;

async function workspaceOf(key: string) {
  const prefix = key.slice(0, 16);
  return (await t.database.db.apiKey.findUniqueOrThrow({ where: { prefix }, select: { workspaceId: true } })).workspaceId;
}

async function eventsOf(workspaceId: string) {
  return t.database.db.event.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
}

async function restCreate(key: string, title: string, assetType = 'pdf') {
  const response = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title, asset_type: assetType } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data.id as string;
}

describe('the event log', () => {
  it('records each event type once per change, through REST and through GraphQL alike', async () => {
    const expected = [
      'library.created',
      'asset.created',
      'asset.created',
      'asset.updated',
      'collection.items_changed',
      'asset.deleted',
      'asset.restored',
      'library.updated',
      'library.deleted',
    ];
    // REST
    const restKey = await t.newKey([...allScopes]);
    const library = await rest(t.app, restKey, 'post', '/api/v1/libraries', { json: { name: 'Shelf' } });
    const box = await rest(t.app, restKey, 'post', '/api/v1/assets', { json: { title: 'Box', asset_type: 'collection', library_id: library.body.data.id } });
    const guide = await restCreate(restKey, 'Guide');
    expect((await rest(t.app, restKey, 'patch', `/api/v1/assets/${guide}`, { json: { title: 'Guide 2' } })).status).toBe(200);
    expect((await rest(t.app, restKey, 'post', `/api/v1/assets/${box.body.data.id}/items`, { json: { asset_ids: [guide] } })).status).toBe(200);
    expect((await rest(t.app, restKey, 'delete', `/api/v1/assets/${guide}`)).status).toBe(200);
    expect((await rest(t.app, restKey, 'post', `/api/v1/assets/${guide}/restore`)).status).toBe(200);
    expect((await rest(t.app, restKey, 'patch', `/api/v1/libraries/${library.body.data.id}`, { json: { name: 'Shelf 2' } })).status).toBe(200);
    expect((await rest(t.app, restKey, 'delete', `/api/v1/libraries/${library.body.data.id}`)).status).toBe(200);
    // A refused change records nothing.
    expect((await rest(t.app, restKey, 'patch', `/api/v1/assets/${guide}`, { json: { asset_type: 'image' } })).status).toBe(400);
    const restEvents = await eventsOf(await workspaceOf(restKey));
    expect(restEvents.map((e) => e.type)).toEqual(expected);

    // GraphQL
    const gqlKey = await t.newKey([...allScopes]);
    const lib = expectData(await graphql(t.app, gqlKey, CreateLibrary, { input: { name: 'Shelf' } })).createLibrary.id;
    const collection = expectData(await graphql(t.app, gqlKey, CreateAsset, { input: { title: 'Box', assetType: 'COLLECTION', libraryId: lib } })).createAsset;
    const created = expectData(
      await graphql(t.app, gqlKey, CreateAsset, { input: { title: 'Guide', assetType: 'EXTERNAL_VIDEO', externalUrl: 'https://youtu.be/abc' } }),
    ).createAsset;
    expectData(await graphql(t.app, gqlKey, UpdateAsset, { id: created.id, input: { title: 'Guide 2' } }));
    expectData(await graphql(t.app, gqlKey, AddItems, { id: collection.id, assetIds: [created.id] }));
    expectData(await graphql(t.app, gqlKey, DeleteAsset, { id: created.id }));
    expectData(await graphql(t.app, gqlKey, RestoreAsset, { id: created.id }));
    expectData(await graphql(t.app, gqlKey, UpdateLibrary, { id: lib, input: { name: 'Shelf 2' } }));
    expectData(await graphql(t.app, gqlKey, DeleteLibrary, { id: lib }));
    const gqlEvents = await eventsOf(await workspaceOf(gqlKey));
    expect(gqlEvents.map((e) => e.type)).toEqual(expected);

    // Ids order the events; the data is the object as GraphQL shows it (enum values in its spelling).
    const ids = gqlEvents.map((e) => e.id);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(gqlEvents[2]).toMatchObject({ objectId: created.id, libraryId: null });
    expect(gqlEvents[2].data).toMatchObject({
      id: created.id,
      title: 'Guide',
      assetType: created.assetType,
      updatedAt: created.updatedAt,
      videoEmbed: 'https://youtube.com/embed/abc',
      deletedAt: null,
    });
    expect(created.assetType).toBe('EXTERNAL_VIDEO');
    // A download's count is no change of the asset: no event.
    const before = (await eventsOf(await workspaceOf(gqlKey))).length;
    await t.database.db.$executeRaw`UPDATE assets SET download_count = download_count + 1 WHERE id = ${created.id}::uuid`;
    expect(await eventsOf(await workspaceOf(gqlKey))).toHaveLength(before);
    expect(gqlEvents[1]).toMatchObject({ objectId: collection.id, libraryId: lib });
    expect(gqlEvents[4].data).toMatchObject({ id: collection.id, assetType: 'COLLECTION', itemIds: [created.id] });
    expect((gqlEvents[5].data as { deletedAt: string }).deletedAt).toEqual(expect.any(String));
    expect(gqlEvents[0].data).toMatchObject({ id: lib, name: 'Shelf' });
    expect(gqlEvents[8].data).toMatchObject({ id: lib, name: 'Shelf 2' });
  });
});

describe('the event log, pruned', () => {
  it('drops events older than EVENT_RETENTION_HOURS and keeps the rest', async () => {
    const key = await t.newKey([...allScopes]);
    await restCreate(key, 'Old news');
    await restCreate(key, 'Fresh news');
    const [old, fresh] = await eventsOf(await workspaceOf(key));
    const retentionHours = 72;
    await t.database.db.event.update({ where: { id: old.id }, data: { occurredAt: new Date(Date.now() - (retentionHours + 1) * 3_600_000) } });
    expect(await pruneEvents(t.database.db, retentionHours)).toBe(1);
    expect((await eventsOf(await workspaceOf(key))).map((event) => event.id)).toEqual([fresh.id]);
  });
});

describe('Subscription.assetEvents', () => {
  it('over SSE: delivers a change made through REST, with SSE ids, and only the key workspace', async () => {
    const key = await t.newKey();
    const stranger = await t.newKey();
    const live = await sseSubscribe(base, key, subscription);
    try {
      expect(live.status).toBe(200);
      await restCreate(stranger, 'Not yours');
      const id = await restCreate(key, 'Mine');
      const [event] = await live.received.take(1);
      expect(event).toMatchObject({ type: 'asset.created', assetId: id, asset: { id, title: 'Mine', assetType: 'PDF' } });
      expect(live.received.all[0].sseId).toBe(event.id);
      // Deleted: the event still comes, its asset is null.
      await rest(t.app, key, 'delete', `/api/v1/assets/${id}`);
      expect(await live.received.take(1)).toMatchObject([{ type: 'asset.deleted', assetId: id, asset: null }]);
    } finally {
      live.close();
    }
  });

  it('over SSE: resumes with after, and with Last-Event-ID, with exactly the missed events in order', async () => {
    const key = await t.newKey();
    const first = await sseSubscribe(base, key, subscription);
    const a = await restCreate(key, 'A');
    const [seen] = await first.received.take(1);
    first.close();
    const missed = [await restCreate(key, 'B'), await restCreate(key, 'C'), await restCreate(key, 'D')];

    for (const resume of [{ variables: { after: seen.id } }, { headers: { 'last-event-id': seen.id } }]) {
      const again = await sseSubscribe(base, key, subscription, resume.variables, resume.headers);
      try {
        expect((await again.received.take(missed.length)).map((e) => e.assetId)).toEqual(missed);
        const e = await restCreate(key, 'E');
        expect((await again.received.take(1)).map((x) => x.assetId)).toEqual([e]);
        expect(again.received.all).toHaveLength(missed.length + 1);
        missed.push(e);
      } finally {
        again.close();
      }
    }
    expect(a).not.toBe(missed[0]);
  });

  it('filters by type, asset and library', async () => {
    const key = await t.newKey([...allScopes]);
    const library = (await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'L' } })).body.data.id;
    const target = await restCreate(key, 'Target');
    const live = await sseSubscribe(base, key, subscription, { filter: { types: ['asset.updated'], assetIds: [target] } });
    const inLibrary = await sseSubscribe(base, key, subscription, { filter: { libraryId: library } });
    try {
      const other = await restCreate(key, 'Other');
      await rest(t.app, key, 'patch', `/api/v1/assets/${other}`, { json: { title: 'Other 2' } });
      await rest(t.app, key, 'patch', `/api/v1/assets/${target}`, { json: { title: 'Target 2', library_id: library } });
      expect(await live.received.take(1)).toMatchObject([{ type: 'asset.updated', assetId: target, asset: { title: 'Target 2' } }]);
      expect(await inLibrary.received.take(1)).toMatchObject([{ type: 'asset.updated', assetId: target }]);
    } finally {
      live.close();
      inLibrary.close();
    }
    const refused = await sseSubscribe(base, key, subscription, { filter: { types: ['asset.exploded'] } });
    expect((await refused.received.next())?.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'types' } });
    // The text rule checks a subscription's arguments as it starts (not on each event it yields).
    const nul = await sseSubscribe(base, key, subscription, { filter: { types: ['asset.created\u0000'] } });
    expect((await nul.received.next())?.errors?.[0]).toMatchObject({
      message: expect.stringContaining('must not contain NUL'),
      extensions: { field: 'types' },
    });
  });

  it('over WebSocket: key in connectionParams, same events; a bad key is closed with 4403; no read:assets is FORBIDDEN', async () => {
    const key = await t.newKey();
    const { client } = wsClient(base, key);
    const live = wsSubscribe(client, subscription);
    try {
      // The subscription is registered once the server answered the connection; a change made after that arrives.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const id = await restCreate(key, 'Over WS');
      expect(await live.received.take(1)).toMatchObject([{ type: 'asset.created', assetId: id, asset: { title: 'Over WS' } }]);
    } finally {
      live.close();
      await client.dispose();
    }

    const bad = wsClient(base, 'agk_nothing_here');
    wsSubscribe(bad.client, subscription);
    expect(await bad.closed).toBe(4403);
    await bad.client.dispose();

    const writer = await t.newKey(['write:assets']);
    const forbidden = wsClient(base, writer);
    const refused = wsSubscribe(forbidden.client, subscription);
    expect((await refused.received.next())?.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await forbidden.client.dispose();
  });

  it('refuses an SSE subscription without a key (401) or without read:assets (FORBIDDEN)', async () => {
    const none = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: subscription }),
    });
    expect(none.status).toBe(401);
    const writer = await t.newKey(['write:assets']);
    const live = await sseSubscribe(base, writer, subscription);
    expect((await live.received.next())?.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('ends the subscriptions of a revoked key, and holds at most SUBSCRIPTIONS_PER_KEY per key', async () => {
    const admin = await t.newKey(['admin:keys'], 'revocations');
    const { key, record } = await createApiKey(t.database.db, { name: 'doomed', scopes: ['read:assets'], workspace: 'revocations' });
    const open: Live[] = [];
    for (let i = 0; i < 4; i++) open.push(await sseSubscribe(base, key, subscription));
    const fifth = await sseSubscribe(base, key, subscription);
    expect((await fifth.received.next())?.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    const ws = wsClient(base, key);
    const overWs = wsSubscribe(ws.client, subscription);
    expect((await overWs.received.next())?.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await ws.client.dispose();
    open.pop()!.close();
    // The server notices the closed stream at its next write: wait until the key's slot is free.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const viaWs = wsClient(base, key);
    open.push(wsSubscribe(viaWs.client, subscription));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect((await rest(t.app, admin, 'post', `/api/v1/keys/${record.prefix}/revoke`)).status).toBe(200);
    for (const live of open) {
      expect(await live.received.next()).toBeNull();
      expect(live.received.completed).toBe(true);
    }
    await viaWs.client.dispose();
  });
});
