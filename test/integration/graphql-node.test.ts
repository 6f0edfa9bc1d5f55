import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';

/** Relay Global Object Identification: ids are the objects' UUIDs, and node/nodes find them. */
const t = useTestApp();

const Create = gql(`
  mutation NodeCreate($input: CreateAssetInput!) { createAsset(input: $input) { id } }
`);
const Node = gql(`
  query NodeById($id: ID!) {
    node(id: $id) {
      __typename id
      ... on Asset { title library { id name } }
      ... on PdfAsset { pageCount }
      ... on LinkAsset { externalUrl }
      ... on Library { name slug }
    }
  }
`);
const Nodes = gql(`
  query NodesByIds($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Asset { title } ... on Library { name } } }
`);

async function workspaceOf(key: string) {
  return (await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } })).workspaceId;
}

describe('node and nodes', () => {
  it('find assets and libraries by their UUID, the same id REST shows', async () => {
    const key = await t.newKey(['read:assets', 'write:assets', 'read:libraries']);
    const workspaceId = await workspaceOf(key);
    const library = await t.database.db.library.create({ data: { workspaceId, name: 'Brand', slug: 'brand' } });
    const pdf = expectData(await graphql(t.app, key, Create, { input: { title: 'Guide', assetType: 'PDF' } })).createAsset;
    await t.database.db.asset.update({ where: { id: pdf.id }, data: { libraryId: library.id } });
    const link = expectData(
      await graphql(t.app, key, Create, { input: { title: 'Site', assetType: 'LINK', externalUrl: ' https://example.com/a ' } }),
    ).createAsset;

    expect(expectData(await graphql(t.app, key, Node, { id: pdf.id })).node).toEqual({
      __typename: 'PdfAsset',
      id: pdf.id,
      title: 'Guide',
      library: { id: library.id, name: 'Brand' },
      pageCount: null,
    });
    expect(expectData(await graphql(t.app, key, Node, { id: link.id })).node).toEqual({
      __typename: 'LinkAsset',
      id: link.id,
      title: 'Site',
      library: null,
      externalUrl: 'https://example.com/a',
    });
    expect(expectData(await graphql(t.app, key, Node, { id: library.id })).node).toEqual({
      __typename: 'Library',
      id: library.id,
      name: 'Brand',
      slug: 'brand',
    });

    const unknown = '00000000-0000-4000-8000-000000000000';
    const many = expectData(await graphql(t.app, key, Nodes, { ids: [library.id, unknown, pdf.id, 'not-a-uuid', pdf.id] })).nodes;
    expect(many).toEqual([
      { __typename: 'Library', id: library.id, name: 'Brand' },
      null,
      { __typename: 'PdfAsset', id: pdf.id, title: 'Guide' },
      null,
      { __typename: 'PdfAsset', id: pdf.id, title: 'Guide' },
    ]);
  });

  it('answer null for another workspace, a deleted asset, and a kind the key may not read', async () => {
    const owner = await t.newKey(['read:assets', 'write:assets', 'read:libraries']);
    const stranger = await t.newKey(['read:assets', 'read:libraries']);
    const assetsOnly = await t.newKey(['read:assets'], (await t.database.db.workspace.findUniqueOrThrow({ where: { id: await workspaceOf(owner) } })).slug);
    const library = await t.database.db.library.create({ data: { workspaceId: await workspaceOf(owner), name: 'L', slug: 'l' } });
    const asset = expectData(await graphql(t.app, owner, Create, { input: { title: 'Mine', assetType: 'IMAGE' } })).createAsset;
    const gone = expectData(await graphql(t.app, owner, Create, { input: { title: 'Gone', assetType: 'IMAGE' } })).createAsset;
    await t.database.db.asset.update({ where: { id: gone.id }, data: { deletedAt: new Date() } });

    expect(expectData(await graphql(t.app, stranger, Nodes, { ids: [asset.id, library.id] })).nodes).toEqual([null, null]);
    expect(expectData(await graphql(t.app, owner, Node, { id: gone.id })).node).toBeNull();
    expect(expectData(await graphql(t.app, assetsOnly, Nodes, { ids: [asset.id, library.id] })).nodes).toEqual([
      { __typename: 'ImageAsset', id: asset.id, title: 'Mine' },
      null,
    ]);
  });

  it('need a key with a read scope, and take at most 100 ids', async () => {
    const writeOnly = await t.newKey(['write:assets']);
    const denied = await graphql(t.app, writeOnly, Node, { id: '00000000-0000-4000-8000-000000000000' });
    expect(denied.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = await graphql(t.app, null, Node, { id: '00000000-0000-4000-8000-000000000000' });
    expect(anonymous.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });

    const reader = await t.newKey(['read:assets']);
    const ids = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const tooMany = await graphql(t.app, reader, Nodes, { ids });
    expect(tooMany.errors?.[0]).toMatchObject({ message: 'At most 100 ids per call', extensions: { code: 'BAD_USER_INPUT', field: 'ids' } });
    expect(expectData(await graphql(t.app, reader, Nodes, { ids: ids.slice(0, 100) })).nodes).toHaveLength(100);
  });

  it('cost one statement per kind of object, whatever the number of ids', async () => {
    const key = await t.newKey(['read:assets', 'write:assets', 'read:libraries']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(expectData(await graphql(t.app, key, Create, { input: { title: `n${i}`, assetType: 'PDF' } })).createAsset.id);
    const counts: number[] = [];
    for (const some of [ids.slice(0, 1), ids]) {
      t.database.statements.length = 0;
      expect(expectData(await graphql(t.app, key, Nodes, { ids: some })).nodes).toHaveLength(some.length);
      counts.push(t.database.statements.filter((sql) => /^SELECT/.test(sql)).length);
    }
    // With nested selections too: the library comes in the assets' statement.
    t.database.statements.length = 0;
    expectData(await graphql(t.app, key, Node, { id: ids[0] }));
    counts.push(t.database.statements.filter((sql) => /^SELECT/.test(sql)).length);
    expect(counts).toEqual([2, 2, 2]);
  });
});
