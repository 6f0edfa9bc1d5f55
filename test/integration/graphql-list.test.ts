import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import type { AssetSort, AssetType, SortOrder } from '../../src/generated/graphql/graphql.ts';
import type { AssetType as StoredAssetType } from '../../src/generated/prisma/enums.ts';
import { deepOffset } from '../../src/domain/assets.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';

const t = useTestApp();

const ListAssets = gql(`
  query ListPage($page: Int, $perPage: Int, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    assets(page: $page, perPage: $perPage, filter: $filter, sort: $sort, order: $order) {
      page perPage total totalPages
      items { id title assetType }
    }
  }
`);

const ListBackwards = gql(`
  query ListBackwards($last: Int, $before: String, $sort: AssetSort, $order: SortOrder) {
    assetsConnection(last: $last, before: $before, sort: $sort, order: $order) {
      edges { cursor node { id } }
      pageInfo { hasPreviousPage startCursor }
    }
  }
`);

const ListConnection = gql(`
  query ListConnection($first: Int, $after: String, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    assetsConnection(first: $first, after: $after, filter: $filter, sort: $sort, order: $order) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

interface Row {
  id: string;
  title: string;
  description: string | null;
  assetType: StoredAssetType;
  createdAt: Date;
  updatedAt: Date;
}

// Titles that sort the same under any collation (lower-case words, no shared prefixes),
// with duplicates so that ties must be broken by id; % and _ to check they are literal.
const titles = ['delta', 'alpha', 'charlie', 'bravo', 'echo', 'alpha', 'foxtrot', 'golf', 'delta', 'hotel'];
const descriptions = ['quarterly REPORT', null, '100% literal', 'under_score', 'reports', null, 'nothing', 'Report card', null, 'x'];
const types: StoredAssetType[] = ['pdf', 'image', 'pdf', 'link', 'video', 'pdf', 'image', 'collection', 'pdf', 'git'];

async function seed(workspaceKey: string): Promise<Row[]> {
  const { db } = t.database;
  const key = await db.apiKey.findFirstOrThrow({ where: { prefix: workspaceKey.slice(0, 16) } });
  const base = Date.UTC(2024, 0, 1);
  const rows: Row[] = [];
  for (let i = 0; i < titles.length; i++) {
    // created_at collides for pairs (i, i+1 when i is even) to exercise the id tie-break.
    const createdAt = new Date(base + Math.floor(i / 2) * 60_000);
    const updatedAt = new Date(base + ((i * 7) % 10) * 3_600_000);
    rows.push(
      await db.asset.create({
        data: {
          workspaceId: key.workspaceId,
          title: titles[i],
          slug: `${titles[i]}-${i}`,
          description: descriptions[i],
          assetType: types[i],
          externalUrl: types[i] === 'link' ? 'https://example.com' : null,
          createdAt,
          updatedAt,
        },
        select: { id: true, title: true, description: true, assetType: true, createdAt: true, updatedAt: true },
      }),
    );
  }
  // A deleted asset never shows.
  await db.asset.create({
    data: { workspaceId: key.workspaceId, title: 'alpha', slug: 'deleted', assetType: 'pdf', deletedAt: new Date() },
  });
  return rows;
}

function expected(rows: Row[], filter: { assetType?: AssetType; search?: string }, sort: AssetSort, order: SortOrder) {
  const needle = filter.search?.toLowerCase();
  const sign = order === 'ASC' ? 1 : -1;
  const value = (r: Row) => (sort === 'TITLE' ? r.title : r[sort === 'CREATED_AT' ? 'createdAt' : 'updatedAt'].getTime());
  return rows
    .filter((r) => !filter.assetType || r.assetType.toUpperCase() === filter.assetType)
    .filter((r) => !needle || r.title.toLowerCase().includes(needle) || (r.description ?? '').toLowerCase().includes(needle))
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va !== vb) return (va < vb ? -1 : 1) * sign;
      return (a.id < b.id ? -1 : 1) * sign;
    })
    .map((r) => r.id);
}

describe('assets list', () => {
  it('filters, sorts and orders every combination, with totals', async () => {
    const key = await t.newKey();
    const rows = await seed(key);
    const filters = [
      {},
      { assetType: 'PDF' as const },
      { search: 'report' },
      { search: 'ALPHA' },
      { search: '%' },
      { search: '_' },
      { assetType: 'PDF' as const, search: 'report' },
      { search: 'no such thing' },
    ];
    let combinations = 0;
    for (const filter of filters) {
      for (const sort of ['CREATED_AT', 'TITLE', 'UPDATED_AT'] as const) {
        for (const order of ['ASC', 'DESC'] as const) {
          const ids = expected(rows, filter, sort, order);
          const label = JSON.stringify({ filter, sort, order });
          const page = expectData(await graphql(t.app, key, ListAssets, { filter, sort, order, perPage: 100 }), label);
          expect(
            page.assets.items.map((i) => i.id),
            label,
          ).toEqual(ids);
          expect(page.assets.total, label).toBe(ids.length);
          expect(page.assets.totalPages, label).toBe(Math.ceil(ids.length / 100));

          // The same order, page by page, and through the Relay connection.
          const paged: string[] = [];
          for (let p = 1; p <= Math.ceil(ids.length / 3); p++) {
            const part = expectData(await graphql(t.app, key, ListAssets, { filter, sort, order, perPage: 3, page: p }), label);
            expect(part.assets.totalPages).toBe(Math.ceil(ids.length / 3));
            paged.push(...part.assets.items.map((i) => i.id));
          }
          expect(paged, label).toEqual(ids);
          const cursorIds: string[] = [];
          let after: string | null = null;
          for (;;) {
            const conn: {
              assetsConnection: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } };
            } = expectData(await graphql(t.app, key, ListConnection, { filter, sort, order, first: 4, after }), label);
            expect(conn.assetsConnection.totalCount).toBe(ids.length);
            cursorIds.push(...conn.assetsConnection.edges.map((e) => e.node.id));
            if (!conn.assetsConnection.pageInfo.hasNextPage) break;
            after = conn.assetsConnection.pageInfo.endCursor ?? null;
          }
          expect(cursorIds, label).toEqual(ids);
          combinations++;
        }
      }
    }
    expect(combinations).toBe(48);
  });

  it('defaults to newest first, 20 a page, and answers an empty page past the end', async () => {
    const key = await t.newKey();
    const rows = await seed(key);
    const page = expectData(await graphql(t.app, key, ListAssets, {}));
    expect(page.assets).toMatchObject({ page: 1, perPage: 20, total: 10, totalPages: 1 });
    expect(page.assets.items.map((i) => i.id)).toEqual(expected(rows, {}, 'CREATED_AT', 'DESC'));
    const past = expectData(await graphql(t.app, key, ListAssets, { page: 5, perPage: 5 }));
    expect(past.assets).toMatchObject({ page: 5, total: 10, totalPages: 2, items: [] });
  });

  it('caps a connection page at 100', async () => {
    const key = await t.newKey();
    const { workspaceId } = await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    await t.database.db.asset.createMany({
      data: Array.from({ length: 105 }, (_, i) => ({ workspaceId, title: `n${i}`, slug: `n${i}`, assetType: 'pdf' as const })),
    });
    const data = expectData(await graphql(t.app, key, ListConnection, { first: 1000 }));
    expect(data.assetsConnection.edges).toHaveLength(100);
    expect(data.assetsConnection).toMatchObject({ totalCount: 105, pageInfo: { hasNextPage: true } });
  });

  it('serves pages past the deep offset (ids first, then rows) in the same order as shallow ones', async () => {
    const key = await t.newKey();
    const { workspaceId } = await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    const base = Date.UTC(2024, 0, 1);
    await t.database.db.asset.createMany({
      data: Array.from({ length: deepOffset + 45 }, (_, i) => ({
        workspaceId,
        title: `t${i % 7}`,
        slug: `d${i}`,
        assetType: i % 2 ? ('pdf' as const) : ('image' as const),
        // pairs share a timestamp, so ties are broken by id across the deep boundary too
        createdAt: new Date(base + Math.floor(i / 2) * 1000),
        deletedAt: i % 50 === 0 ? new Date() : null,
      })),
    });
    for (const [sort, order, filter] of [
      ['CREATED_AT', 'DESC', {}],
      ['TITLE', 'ASC', { assetType: 'PDF' }],
    ] as const) {
      const all = expectData(await graphql(t.app, key, ListAssets, { perPage: 100, page: 1, sort, order, filter })).assets;
      const ids: string[] = [];
      for (let p = 1; p <= all.totalPages; p++) {
        ids.push(...expectData(await graphql(t.app, key, ListAssets, { perPage: 100, page: p, sort, order, filter })).assets.items.map((i) => i.id));
      }
      expect(ids, `${sort} ${order}`).toHaveLength(all.total);
      expect(new Set(ids).size).toBe(all.total);
      // A page that straddles nothing, entirely past the deep offset, equals its slice of the whole.
      const deepPage = Math.floor(deepOffset / 7) + 1;
      const deep = expectData(await graphql(t.app, key, ListAssets, { perPage: 7, page: deepPage, sort, order, filter })).assets.items.map((i) => i.id);
      expect(deep, `${sort} ${order}`).toEqual(ids.slice((deepPage - 1) * 7, deepPage * 7));
    }
  });

  it('reads a cursor as a place in the order: its own sort value, or an id-only cursor looked up in the workspace', async () => {
    const key = await t.newKey();
    const stranger = await t.newKey();
    const rows = await seed(key);
    const strangerRows = await seed(stranger);
    const mine = new Set(rows.map((r) => r.id));
    const ids = expected(rows, {}, 'CREATED_AT', 'DESC');
    const byId = new Map(rows.map((r) => [r.id, r]));
    const encode = (text: string) => Buffer.from(text).toString('base64');
    const idCursor = (id: string) => encode(`GPC:S:${id}`);
    const pageAfter = async (cursor: string, sort: AssetSort = 'CREATED_AT', order: SortOrder = 'DESC') =>
      graphql(t.app, key, ListConnection, { first: 3, after: cursor, sort, order });

    // A cursor carries its asset's id, the sort and that asset's value of it (plugin-prisma's tagged tuple).
    const page = expectData(await graphql(t.app, key, ListConnection, { first: 3 })).assetsConnection;
    const third = byId.get(ids[2])!;
    expect(Buffer.from(page.edges[2].cursor, 'base64').toString()).toBe(
      `GPC:T:${JSON.stringify([`S:${third.id}`, 'S:createdAt', `D:${third.createdAt.getTime()}`])}`,
    );
    expect(page.pageInfo.endCursor).toBe(page.edges[2].cursor);
    const next = (await pageAfter(page.edges[2].cursor)).data?.assetsConnection.edges.map((e) => e.node.id);
    expect(next).toEqual(ids.slice(3, 6));

    // A deleted asset's cursor keeps its place, in both formats.
    await t.database.db.asset.update({ where: { id: ids[2] }, data: { deletedAt: new Date() } });
    for (const cursor of [page.edges[2].cursor, idCursor(ids[2])]) {
      expect(expectData(await pageAfter(cursor)).assetsConnection.edges.map((e) => e.node.id)).toEqual(ids.slice(3, 6));
    }
    const live = ids.filter((id) => id !== ids[2]);

    // Under another sort the cursor's value is not that sort's, so its asset is looked up.
    const byTitle = expected(rows, {}, 'TITLE', 'ASC').filter((id) => id !== ids[2]);
    const titled = expectData(await pageAfter(page.edges[1].cursor, 'TITLE', 'ASC')).assetsConnection.edges.map((e) => e.node.id);
    expect(titled).toEqual(byTitle.slice(byTitle.indexOf(ids[1]) + 1, byTitle.indexOf(ids[1]) + 4));

    // Another workspace's cursor is a place like any forged one: it pages your assets from there, never theirs.
    const theirEdge = expectData(await graphql(t.app, stranger, ListConnection, { first: 4 })).assetsConnection.edges[3];
    const place = strangerRows.find((r) => r.id === theirEdge.node.id)!;
    // Newest first: your live assets that sort after their asset's (created_at, id).
    const beyond = live.filter((id) => {
      const row = byId.get(id)!;
      return row.createdAt < place.createdAt || (row.createdAt.getTime() === place.createdAt.getTime() && row.id < place.id);
    });
    const fromTheirs = expectData(await pageAfter(theirEdge.cursor)).assetsConnection.edges.map((e) => e.node.id);
    expect(beyond.length).toBeGreaterThan(3);
    expect(fromTheirs).toEqual(beyond.slice(0, 3));
    expect(fromTheirs.every((id) => mine.has(id))).toBe(true);

    // An id-only cursor must name an asset of the workspace; and nothing malformed is read.
    const tuple = (...parts: unknown[]) => encode(`GPC:T:${JSON.stringify(parts)}`);
    for (const bad of [
      idCursor(strangerRows[0].id),
      idCursor('00000000-0000-4000-8000-000000000000'),
      idCursor('1 OR 1=1'),
      'not a cursor',
      tuple(`S:${ids[0]}`, 'S:createdAt'),
      tuple(`S:${ids[0]}`, 'S:slug', 'S:x'),
      tuple(`S:${ids[0]}`, 'S:createdAt', 'S:2024-01-01'),
      tuple(`S:${ids[0]}`, 'S:createdAt', `D:${Date.UTC(-5000, 0, 1)}`),
      tuple(`S:${ids[0]}`, 'S:title', 'S:a\u0000b'),
      tuple(`S:${ids[0]}`, 'S:title', `S:${'t'.repeat(501)}`),
      tuple('S:not-a-uuid', 'S:title', 'S:alpha'),
    ]) {
      const refused = await pageAfter(bad);
      expect(refused.data, bad).toBeNull();
      expect(refused.errors?.[0], bad).toMatchObject({ message: 'Invalid cursor', extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    }

    // A title of 500 characters takes up to 1,000 UTF-16 units; its cursor is still the gateway's own.
    const { workspaceId } = await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    const emoji = await t.database.db.asset.create({ data: { workspaceId, title: '\u{1F600}'.repeat(500), slug: 'emoji', assetType: 'pdf' } });
    const top = expectData(await graphql(t.app, key, ListConnection, { first: 1, sort: 'TITLE', order: 'DESC' })).assetsConnection;
    expect(top.edges[0].node.id).toBe(emoji.id);
    const belowTop = expectData(await pageAfter(top.edges[0].cursor, 'TITLE', 'DESC')).assetsConnection.edges.map((e) => e.node.id);
    expect(belowTop).toEqual(
      expected(rows, {}, 'TITLE', 'DESC')
        .filter((id) => id !== ids[2])
        .slice(0, 3),
    );
  });

  it('pages backwards with last/before through every order, to the same list', async () => {
    const key = await t.newKey();
    const rows = await seed(key);
    for (const sort of ['CREATED_AT', 'TITLE', 'UPDATED_AT'] as const) {
      for (const order of ['ASC', 'DESC'] as const) {
        const ids = expected(rows, {}, sort, order);
        const seen: string[] = [];
        let before: string | null = null;
        for (;;) {
          const conn: { edges: { node: { id: string } }[]; pageInfo: { hasPreviousPage: boolean; startCursor?: string | null } } = expectData(
            await graphql(t.app, key, ListBackwards, { last: 3, before, sort, order }),
          ).assetsConnection;
          seen.unshift(...conn.edges.map((e) => e.node.id));
          if (!conn.pageInfo.hasPreviousPage) break;
          before = conn.pageInfo.startCursor ?? null;
        }
        expect(seen, `${sort} ${order}`).toEqual(ids);
      }
    }
  });
});
