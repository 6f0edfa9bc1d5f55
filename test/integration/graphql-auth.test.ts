import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.ts';
import { revokeApiKey } from '../../src/auth/keys.ts';
import { rootFieldScopes } from '../../src/auth/scopes.ts';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { schema } from '../../src/graphql/schema.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';

const t = useTestApp();

const Create = gql(`
  mutation CreateForAuth($input: CreateAssetInput!) { createAsset(input: $input) { id } }
`);
const List = gql(`
  query ListForAuth { assets { total items { id } } }
`);
const Get = gql(`
  query GetForAuth($id: ID!) { asset(id: $id) { id title } }
`);
const Connection = gql(`
  query ConnectionForAuth { assetsConnection(first: 5) { totalCount edges { node { id } } } }
`);

describe('scope rules', () => {
  it('cover every root field of the schema (a new field cannot ship without a rule)', () => {
    for (const type of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!]) {
      const table = rootFieldScopes[type.name as 'Query' | 'Mutation' | 'Subscription'];
      expect(Object.keys(type.getFields()).sort(), type.name).toEqual(Object.keys(table).sort());
    }
  });

  it('refuse createAsset to a read-only key with FORBIDDEN and the spec message', async () => {
    const key = await t.newKey(['read:assets']);
    const response = await graphql(t.app, key, Create, { input: { title: 'Nope', assetType: 'PDF' } });
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      message: 'API key does not have write:assets scope',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(expectData(await graphql(t.app, key, List)).assets.total).toBe(0);
  });

  it('refuse each manage and library field to a key holding every scope but the one the table names', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const operations: Record<string, string> = {
      library: `query { library(id: "${id}") { id } }`,
      libraries: 'query { libraries { total } }',
      updateAsset: `mutation { updateAsset(id: "${id}", input: { title: "x" }) { id } }`,
      deleteAsset: `mutation { deleteAsset(id: "${id}") { id } }`,
      restoreAsset: `mutation { restoreAsset(id: "${id}") { id } }`,
      addCollectionItems: `mutation { addCollectionItems(id: "${id}", assetIds: ["${id}"]) { id } }`,
      removeCollectionItems: `mutation { removeCollectionItems(id: "${id}", assetIds: ["${id}"]) { id } }`,
      reorderCollectionItems: `mutation { reorderCollectionItems(id: "${id}", assetIds: ["${id}"]) { id } }`,
      createLibrary: 'mutation { createLibrary(input: { name: "x" }) { id } }',
      updateLibrary: `mutation { updateLibrary(id: "${id}", input: { name: "x" }) { id } }`,
      deleteLibrary: `mutation { deleteLibrary(id: "${id}") { id } }`,
    };
    const all = ['read:assets', 'write:assets', 'read:libraries', 'write:libraries'] as const;
    const workspace = `scopes-${Date.now()}`;
    for (const [field, query] of Object.entries(operations)) {
      const table: Record<string, unknown> = { ...rootFieldScopes.Query, ...rootFieldScopes.Mutation };
      const needed = table[field] as string;
      const key = await t.newKey(
        all.filter((scope) => scope !== needed),
        workspace,
      );
      const response = await t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${key}` }, payload: { query } });
      expect({ field, errors: response.json().errors }).toMatchObject({
        field,
        errors: [{ message: `API key does not have ${needed} scope`, extensions: { code: 'FORBIDDEN' } }],
      });
    }
    const owner = await t.newKey([...all], workspace);
    expect(expectData(await graphql(t.app, owner, List)).assets.total).toBe(0);
    const libraries = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${owner}` },
      payload: { query: operations.libraries },
    });
    expect(libraries.json()).toEqual({ data: { libraries: { total: 0 } } });
  });

  it('refuse reads to a write-only key', async () => {
    const key = await t.newKey(['write:assets']);
    const response = await graphql(t.app, key, List);
    expect(response.errors![0]).toMatchObject({ message: 'API key does not have read:assets scope', extensions: { code: 'FORBIDDEN' } });
  });

  it('answer UNAUTHENTICATED to no key, a malformed, an unknown and a revoked key, for every root field', async () => {
    const good = await t.newKey();
    const revoked = await t.newKey();
    expect(await revokeApiKey(t.database.db, revoked.slice(0, 16))).toBe(true);
    const unknown = good.slice(0, 20) + (good[20] === 'a' ? 'b' : 'a') + good.slice(21);
    for (const key of [null, 'nonsense', unknown, revoked]) {
      for (const [document, variables] of [
        [List, undefined],
        [Connection, undefined],
        [Get, { id: '00000000-0000-4000-8000-000000000000' }],
        [Create, { input: { title: 'x', assetType: 'PDF' } }],
      ] as const) {
        const response = await graphql(t.app, key, document as typeof Get, variables as { id: string });
        expect(response.errors?.[0].extensions, `${key} ${JSON.stringify(variables)}`).toMatchObject({ code: 'UNAUTHENTICATED' });
      }
    }
    const expired = await t.newKey();
    await t.database.db.apiKey.update({ where: { prefix: expired.slice(0, 16) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await graphql(t.app, expired, List)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(expectData(await graphql(t.app, good, List)).assets.total).toBe(0);
  });

  it('store keys hashed, never in clear, and record their last use', async () => {
    const key = await t.newKey();
    const record = await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    expect(record.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toContain(key.slice(17));
    expect(record.lastUsedAt).toBeNull();
    expectData(await graphql(t.app, key, List));
    await expect.poll(async () => (await t.database.db.apiKey.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).not.toBeNull();
  });
});

describe('the key cache', () => {
  it('remembers a valid key for its TTL only, and never an invalid one', async () => {
    const key = await t.newKey();
    const authenticate = createAuthenticator(t.database.db, { cacheTtlMs: 300 });
    const principal = await authenticate(`Bearer ${key}`);
    expect(principal?.scopes.has('read:assets')).toBe(true);
    // Revoked behind the gateway's back (no announcement): the cache keeps it for its TTL.
    await t.database.db.apiKey.update({ where: { prefix: key.slice(0, 16) }, data: { revokedAt: new Date() } });
    // Key lookups only: the first use's last_used_at write lands whenever it lands.
    const lookups = () => t.database.statements.filter((sql) => /^SELECT .*"api_keys"/s.test(sql)).length;
    t.database.statements.length = 0;
    expect(await authenticate(`Bearer ${key}`)).toEqual(principal); // from the cache: no lookup
    expect(lookups()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await authenticate(`Bearer ${key}`)).toBeNull();
    expect(await authenticate(`Bearer ${key}`)).toBeNull();
    expect(lookups()).toBe(2); // a refused key is looked up every time
    expect(await authenticate(null)).toBeNull();
    expect(await authenticate(`Basic ${key}`)).toBeNull();

    // Revoked through revokeApiKey (the CLI, the API): forgotten at once.
    const other = await t.newKey();
    expect(await authenticate(`Bearer ${other}`)).not.toBeNull();
    await revokeApiKey(t.database.db, other.slice(0, 16));
    expect(await authenticate(`Bearer ${other}`)).toBeNull();
  });
});

describe('workspaces', () => {
  it('never show one workspace the assets of another', async () => {
    const keyA = await t.newKey(undefined, 'isolation-a');
    const keyB = await t.newKey(undefined, 'isolation-b');
    const a = expectData(await graphql(t.app, keyA, Create, { input: { title: 'Secret plan', assetType: 'PDF' } }));
    const b = expectData(await graphql(t.app, keyB, Create, { input: { title: 'Secret plan', assetType: 'PDF' } }));
    // Same title in two workspaces: each gets the bare slug (slugs are unique per workspace).
    for (const [key, own, other] of [
      [keyA, a, b],
      [keyB, b, a],
    ] as const) {
      const list = expectData(await graphql(t.app, key, List));
      expect(list.assets.items.map((i) => i.id)).toEqual([own.createAsset.id]);
      expect(expectData(await graphql(t.app, key, Get, { id: other.createAsset.id })).asset).toBeNull();
      expect(expectData(await graphql(t.app, key, Get, { id: own.createAsset.id })).asset?.id).toBe(own.createAsset.id);
      const connection = expectData(await graphql(t.app, key, Connection));
      expect(connection.assetsConnection.edges.map((e) => e.node.id)).toEqual([own.createAsset.id]);
    }
  });
});
