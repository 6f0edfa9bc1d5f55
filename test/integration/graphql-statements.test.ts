import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';

const t = useTestApp();

const NestedList = gql(`
  query NestedList($perPage: Int) {
    assets(perPage: $perPage) {
      total totalPages
      items {
        id title slug assetType createdAt
        library { id name slug }
        ... on FileAsset { fileSize mimeType }
        ... on PdfAsset { pageCount }
        ... on ExternalVideoAsset { videoEmbed }
      }
    }
  }
`);
const NestedConnection = gql(`
  query NestedConnection($first: Int, $after: String) {
    assetsConnection(first: $first, after: $after) { totalCount pageInfo { endCursor } edges { node { id title library { name } } } }
  }
`);

const CountConnection = gql(`
  query CountConnection {
    assetsConnection(first: 5) { totalCount }
  }
`);

const LibrariesWithAssets = gql(`
  query LibrariesWithAssets($perPage: Int) {
    libraries(perPage: $perPage) {
      total totalPages
      items {
        id name assetCount
        assets(perPage: 3, sort: TITLE, order: ASC) { total items { id title library { name } } }
      }
    }
  }
`);
const CollectionsWithItems = gql(`
  query CollectionsWithItems($perPage: Int) {
    assets(perPage: $perPage, filter: { assetType: COLLECTION }) {
      items { id ... on CollectionAsset { items(perPage: 3) { total items { id title } } } }
    }
  }
`);

const SearchFacetLibraries = gql(`
  query SearchFacetLibraries($query: String!, $libraryId: ID) {
    searchAssets(query: $query, first: 5, filter: { libraryId: $libraryId }) { totalCount facets { libraries { count library { name } } } }
  }
`);

/** The upload sweep's statements (its claim of the hour, then the delete): it runs when the app starts and hourly, not per request. */
const sweep = /^\s*(INSERT INTO periodic_runs|DELETE FROM uploads WHERE asset_id IS NULL)/;

/** The SQL statements one request sends, after the key has been seen once (then it is cached). */
async function statementsOf(run: () => Promise<unknown>): Promise<string[]> {
  t.database.statements.length = 0;
  await run();
  return t.database.statements.filter((statement) => !sweep.test(statement));
}

describe('SQL per request', () => {
  it('is a fixed number for assets(perPage: 100) with nested fields, whatever the page size', async () => {
    const key = await t.newKey(['read:assets', 'read:libraries']);
    const { workspaceId } = await t.database.db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    const { db } = t.database;
    const libraries = await Promise.all(
      Array.from({ length: 10 }, (_, i) => db.library.create({ data: { workspaceId, name: `Library ${i}`, slug: `lib-${i}` } })),
    );
    await db.asset.createMany({
      data: Array.from({ length: 150 }, (_, i) => ({
        workspaceId,
        libraryId: libraries[i % 10].id,
        title: `Asset ${i}`,
        slug: `asset-${i}`,
        assetType: (['pdf', 'image', 'external_video'] as const)[i % 3],
        externalUrl: i % 3 === 2 ? 'https://youtu.be/x' : null,
      })),
    });
    t.database.statements.length = 0;
    expectData(await graphql(t.app, key, NestedList, { perPage: 1 })); // first use of the key writes last_used_at
    // That write is not awaited by the request; wait until Prisma has logged it, so that it is
    // not counted below. (Polling the row is not enough on PostgreSQL: another connection can
    // see the commit before the UPDATE's own reply, and its log entry, reach this process.)
    await expect.poll(() => t.database.statements.some((sql) => sql.startsWith('UPDATE "public"."api_keys"')), { timeout: 5_000 }).toBe(true);

    const sent: Record<number, string[]> = {};
    for (const perPage of [1, 20, 100]) {
      const statements = await statementsOf(async () => {
        const data = expectData(await graphql(t.app, key, NestedList, { perPage }));
        expect(data.assets.items).toHaveLength(perPage);
        expect(data.assets.items.every((item) => item.library?.name.startsWith('Library'))).toBe(true);
      });
      sent[perPage] = statements;
      // Select mode: never every column of assets.
      expect(statements.join('\n')).not.toMatch(/"checksum_sha256"/);
    }
    // 1 page of assets with their libraries joined (Prisma relationJoins) + 1 count for
    // total/totalPages, asked for once by both fields. The key was verified once and is cached.
    const counts = Object.fromEntries(Object.entries(sent).map(([perPage, statements]) => [perPage, statements.length]));
    expect(counts, `the statements sent: ${JSON.stringify(sent, null, 1)}`).toEqual({ 1: 2, 20: 2, 100: 2 });

    let endCursor: string | null | undefined;
    const connection = await statementsOf(async () => {
      const data = expectData(await graphql(t.app, key, NestedConnection, { first: 100 }));
      expect(data.assetsConnection.edges).toHaveLength(100);
      endCursor = data.assetsConnection.pageInfo.endCursor;
    });
    expect(connection).toHaveLength(2);
    // The next page too: the cursor carries the sort value, so no statement looks it up.
    const nextPage = await statementsOf(async () => {
      const data = expectData(await graphql(t.app, key, NestedConnection, { first: 100, after: endCursor }));
      expect(data.assetsConnection.edges).toHaveLength(50);
      expect(data.assetsConnection.edges.every((edge) => edge.node.library?.name.startsWith('Library'))).toBe(true);
    });
    expect(nextPage, nextPage.join('\n')).toHaveLength(2);
    // And the count alone reads no page.
    const countOnly = await statementsOf(async () => {
      expectData(await graphql(t.app, key, CountConnection));
    });
    expect(countOnly, countOnly.join('\n')).toHaveLength(1);
  });

  it('is a fixed number for libraries with their asset counts and first assets, and collections with their items', async () => {
    const key = await t.newKey(['read:assets', 'read:libraries']);
    const { db } = t.database;
    const { workspaceId } = await db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    const libraries = await Promise.all(
      Array.from({ length: 100 }, (_, i) => db.library.create({ data: { workspaceId, name: `Library ${String(i).padStart(3, '0')}`, slug: `lib-${i}` } })),
    );
    // Four assets in each library, one of them deleted (so counts and pages must skip it).
    await db.asset.createMany({
      data: Array.from({ length: 400 }, (_, i) => ({
        workspaceId,
        libraryId: libraries[i % 100].id,
        title: `Asset ${i}`,
        slug: `asset-${i}`,
        assetType: 'pdf' as const,
        deletedAt: i >= 300 ? new Date() : null,
      })),
    });
    // Four members in each collection, outside any library; one is deleted below.
    const members = await Promise.all(
      Array.from({ length: 4 }, (_, i) => db.asset.create({ data: { workspaceId, title: `Member ${i}`, slug: `member-${i}`, assetType: 'image' } })),
    );
    await db.asset.createMany({
      data: Array.from({ length: 100 }, (_, i) => ({ workspaceId, title: `Collection ${i}`, slug: `collection-${i}`, assetType: 'collection' as const })),
    });
    const collections = await db.asset.findMany({ where: { workspaceId, assetType: 'collection' }, select: { id: true } });
    await db.collectionItem.createMany({
      data: collections.flatMap((c) => members.map((m, position) => ({ collectionId: c.id, assetId: m.id, position }))),
    });
    await db.asset.update({ where: { id: members[0].id }, data: { deletedAt: new Date() } });
    t.database.statements.length = 0;
    expectData(await graphql(t.app, key, LibrariesWithAssets, { perPage: 1 }));
    await expect.poll(() => t.database.statements.some((sql) => sql.startsWith('UPDATE "public"."api_keys"')), { timeout: 5_000 }).toBe(true);

    const sent: Record<string, string[]> = {};
    for (const perPage of [1, 100]) {
      sent[`libraries ${perPage}`] = await statementsOf(async () => {
        const data = expectData(await graphql(t.app, key, LibrariesWithAssets, { perPage }));
        expect(data.libraries.items).toHaveLength(perPage);
        for (const library of data.libraries.items) {
          expect(library.assetCount).toBe(3);
          expect(library.assets.total).toBe(3);
          expect(library.assets.items.map((a) => a.library?.name)).toEqual([library.name, library.name, library.name]);
        }
      });
      sent[`collections ${perPage}`] = await statementsOf(async () => {
        const data = expectData(await graphql(t.app, key, CollectionsWithItems, { perPage }));
        expect(data.assets.items).toHaveLength(perPage);
        for (const collection of data.assets.items) {
          expect('items' in collection ? collection.items.total : null).toBe(3);
          expect('items' in collection && collection.items.items.map((a) => a.id)).toEqual(members.slice(1).map((m) => m.id));
        }
      });
    }
    // A search's facet of libraries: their names in one statement, however many libraries match.
    for (const [shape, libraryId] of [
      ['search in 1 library', libraries[0].id],
      ['search in 100 libraries', undefined],
    ] as const) {
      sent[shape] = await statementsOf(async () => {
        const data = expectData(await graphql(t.app, key, SearchFacetLibraries, { query: 'asset', libraryId }));
        expect(data.searchAssets.facets.libraries).toHaveLength(libraryId ? 1 : 100);
        for (const facet of data.searchAssets.facets.libraries)
          expect(facet).toEqual({ count: 3, library: { name: expect.stringMatching(/^Library \d{3}$/) } });
      });
    }
    expect(sent['search in 100 libraries'], JSON.stringify(sent['search in 100 libraries'], null, 1)).toHaveLength(sent['search in 1 library'].length);
    const counts = Object.fromEntries(Object.entries(sent).map(([shape, statements]) => [shape, statements.length]));
    // Libraries: their page, their count, one grouped count of assets per library (assetCount and
    // assets.total ask the same), one statement for every library's first assets with their
    // library. Collections: their page, one statement for every collection's items.
    expect(counts, `the statements sent: ${JSON.stringify(sent, null, 1)}`).toEqual({
      'libraries 1': 4,
      'libraries 100': 4,
      'collections 1': 3,
      'collections 100': 3,
      'search in 1 library': 4,
      'search in 100 libraries': 4,
    });
  });
});
