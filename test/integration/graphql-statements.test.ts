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
  query NestedConnection($first: Int) {
    assetsConnection(first: $first) { totalCount edges { node { id title library { name } } } }
  }
`);

/** The SQL statements one request sends, after the key has been seen once (then it is cached). */
async function statementsOf(run: () => Promise<unknown>): Promise<string[]> {
  t.database.statements.length = 0;
  await run();
  return [...t.database.statements];
}

describe('SQL per request', () => {
  it('is a fixed number for assets(perPage: 100) with nested fields, whatever the page size', async () => {
    const key = await t.newKey();
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
    await expect
      .poll(() => t.database.statements.some((sql) => sql.startsWith('UPDATE "public"."api_keys"')), { timeout: 5_000 })
      .toBe(true);

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

    const connection = await statementsOf(async () => {
      const data = expectData(await graphql(t.app, key, NestedConnection, { first: 100 }));
      expect(data.assetsConnection.edges).toHaveLength(100);
    });
    expect(connection).toHaveLength(2);
  });
});
