import type { Db } from '../db/client.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { visibleAssets } from './assets.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { eventsCommitted, recordItemsChanged } from './events.ts';
import { isUuid } from './ids.ts';

/**
 * The rules of collections: an asset of type collection holds an ordered list of other assets
 * of its workspace, each at most once, never itself, directly or through other collections.
 * A deleted member drops out of the items (the row stays) and is back, at its place, once restored.
 */

/** Most members a collection holds (deleted ones included), and so most ids one call may name. */
export const maxCollectionItems = 1000;

type AssetQuery = { select?: Prisma.AssetSelect; include?: Prisma.AssetInclude };
type Tx = Prisma.TransactionClient;

export const collectionNotFound = () => new NotFoundError('Collection not found');

/** Row filter for the items a collection shows: members that are visible assets of the workspace. */
export function visibleItems(workspaceId: string): Prisma.CollectionItemWhereInput {
  return { asset: visibleAssets(workspaceId) };
}

export const itemOrder: Prisma.CollectionItemOrderByWithRelationInput[] = [{ position: 'asc' }, { assetId: 'asc' }];

/** The ids a call names: at least one, each once, at most maxCollectionItems. */
function checkIds(assetIds: readonly string[]): string[] {
  if (!assetIds.length) throw new ValidationError('assetIds', 'Asset IDs must name at least one asset');
  if (assetIds.length > maxCollectionItems) throw new ValidationError('assetIds', `At most ${maxCollectionItems} asset IDs per call`);
  const seen = new Set<string>();
  for (const id of assetIds) {
    if (seen.has(id)) throw new ValidationError('assetIds', `Asset ${id} is listed twice`);
    seen.add(id);
  }
  return [...seen];
}

/**
 * Runs a change of a collection's items in a transaction that holds the workspace's row lock,
 * so that two changes can never together make a cycle or a duplicate position. Answers the
 * collection as it is afterwards.
 */
async function changeItems(db: Db, workspaceId: string, collectionId: string, query: AssetQuery, change: (tx: Tx) => Promise<void>) {
  if (!isUuid(collectionId)) throw collectionNotFound();
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE`;
    const collection = await tx.asset.count({ where: { ...visibleAssets(workspaceId), id: collectionId, assetType: 'collection' } });
    if (!collection) throw collectionNotFound();
    await change(tx);
    await recordItemsChanged(tx, collectionId);
  });
  eventsCommitted(db);
  const collection = await db.asset.findFirst({ ...query, where: { ...visibleAssets(workspaceId), id: collectionId } });
  if (!collection) throw collectionNotFound();
  return collection;
}

/** Appends assets to the end of a collection, in the order given. */
export function addCollectionItems(db: Db, workspaceId: string, collectionId: string, assetIds: readonly string[], query: AssetQuery = {}) {
  const ids = checkIds(assetIds);
  return changeItems(db, workspaceId, collectionId, query, async (tx) => {
    if (ids.includes(collectionId)) throw new ValidationError('assetIds', 'A collection cannot contain itself');
    const found = new Set(
      (await tx.asset.findMany({ where: { ...visibleAssets(workspaceId), id: { in: ids.filter(isUuid) } }, select: { id: true } })).map((a) => a.id),
    );
    const unknown = ids.find((id) => !found.has(id));
    if (unknown) throw new ValidationError('assetIds', `Asset ${unknown} not found in your workspace`);
    const present = await tx.collectionItem.findFirst({ where: { collectionId, assetId: { in: ids } }, select: { assetId: true } });
    if (present) throw new ValidationError('assetIds', `Asset ${present.assetId} is already in the collection`);
    // A cycle would close if this collection is reachable from a new member (deleted members
    // count: they may come back). UNION stops on rows already seen.
    const [{ cycle }] = await tx.$queryRaw<{ cycle: boolean }[]>`
      WITH RECURSIVE reach(id) AS (
        SELECT unnest(${ids}::uuid[])
        UNION
        SELECT ci.asset_id FROM collection_items ci JOIN reach r ON ci.collection_id = r.id
      )
      SELECT EXISTS (SELECT 1 FROM reach WHERE id = ${collectionId}::uuid) AS cycle`;
    if (cycle) throw new ValidationError('assetIds', 'Adding these assets would make a cycle: the collection is already inside one of them');
    const { _count, _max } = await tx.collectionItem.aggregate({ where: { collectionId }, _count: { _all: true }, _max: { position: true } });
    if (_count._all + ids.length > maxCollectionItems) {
      throw new ValidationError('assetIds', `A collection holds at most ${maxCollectionItems} assets`);
    }
    const start = (_max.position ?? 0) + 1;
    await tx.collectionItem.createMany({ data: ids.map((assetId, i) => ({ collectionId, assetId, position: start + i })) });
  });
}

/** Takes assets out of a collection (deleted members too); the others keep their order. */
export function removeCollectionItems(db: Db, workspaceId: string, collectionId: string, assetIds: readonly string[], query: AssetQuery = {}) {
  const ids = checkIds(assetIds);
  return changeItems(db, workspaceId, collectionId, query, async (tx) => {
    const members = new Set(
      (await tx.collectionItem.findMany({ where: { collectionId, assetId: { in: ids.filter(isUuid) } }, select: { assetId: true } })).map((m) => m.assetId),
    );
    const stranger = ids.find((id) => !members.has(id));
    if (stranger) throw new ValidationError('assetIds', `Asset ${stranger} is not in the collection`);
    await tx.collectionItem.deleteMany({ where: { collectionId, assetId: { in: ids } } });
  });
}

/**
 * Puts the collection's items in the order given, which must name each item (each visible
 * member) exactly once. The items take the places they held among themselves; deleted members
 * keep theirs, so a restored member comes back where it was.
 */
export function reorderCollectionItems(db: Db, workspaceId: string, collectionId: string, assetIds: readonly string[], query: AssetQuery = {}) {
  const ids = checkIds(assetIds);
  return changeItems(db, workspaceId, collectionId, query, async (tx) => {
    const items = await tx.collectionItem.findMany({
      where: { collectionId, ...visibleItems(workspaceId) },
      orderBy: itemOrder,
      select: { assetId: true, position: true },
    });
    const current = new Set(items.map((item) => item.assetId));
    if (ids.length !== items.length || ids.some((id) => !current.has(id))) {
      throw new ValidationError('assetIds', `Asset IDs must list each of the collection's ${items.length} items exactly once`);
    }
    const positions = items.map((item) => item.position);
    await tx.$executeRaw`
      UPDATE collection_items AS ci SET position = v.position
      FROM unnest(${ids}::uuid[], ${positions}::int[]) AS v(asset_id, position)
      WHERE ci.collection_id = ${collectionId}::uuid AND ci.asset_id = v.asset_id`;
  });
}
