import type { Db } from '../db/client.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * The backfills' walk (./search-backfill.ts, ./files/placeholder-backfill.ts): every asset that
 * matches `where`, in id order, a batch at a time, `concurrency` handed to `visit` at once, and
 * `afterGroup` after each group (their progress line). A visit makes its asset match no more, so a
 * run stopped halfway, started again, meets only the assets it had not done.
 */
export async function walkAssets<S extends Prisma.AssetSelect>(
  db: Db,
  where: Prisma.AssetWhereInput,
  select: S,
  concurrency: number,
  visit: (asset: Prisma.AssetGetPayload<{ select: S }> & { id: string }) => Promise<void>,
  afterGroup: () => void,
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const batch = (await db.asset.findMany({
      where: { ...where, ...(after ? { id: { gt: after } } : {}) },
      select: { ...select, id: true } as Prisma.AssetSelect,
      orderBy: { id: 'asc' },
      take: concurrency * 8,
    })) as (Prisma.AssetGetPayload<{ select: S }> & { id: string })[];
    if (!batch.length) return;
    after = batch.at(-1)!.id;
    for (let i = 0; i < batch.length; i += concurrency) {
      await Promise.all(batch.slice(i, i + concurrency).map(visit));
      afterGroup();
    }
  }
}
