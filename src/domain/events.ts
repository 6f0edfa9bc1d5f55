import type { Db } from '../db/client.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { checkUuid } from './ids.ts';
import { claimPeriod } from './periodic.ts';

/**
 * The event log: every change of an asset, a library or a collection's items is one row of
 * `events`, written in the transaction of the change itself (an outbox), so that both faces
 * produce the same events and none exists for a change that did not commit. Assets and libraries
 * are recorded by triggers, in the very statement that changes them (the event_triggers
 * migration): no extra round trip, no transaction of their own, so the log costs a write little.
 * There too is the one definition of an event's data, the object as the GraphQL API shows it
 * (`asset_event_data`, `library_event_data`); a collection's items change here, in the
 * transaction that changes them. Each insert takes an advisory lock held to the commit, so ids
 * become visible in their order. Subscriptions (src/events/hub.ts) and webhooks
 * (src/events/webhooks.ts) read the table.
 */

export const eventTypes = [
  'asset.created',
  'asset.updated',
  'asset.deleted',
  'asset.restored',
  'library.created',
  'library.updated',
  'library.deleted',
  'collection.items_changed',
] as const;
export type EventType = (typeof eventTypes)[number];
/** The types an asset subscription sees: a collection is an asset. */
export const assetEventTypes = eventTypes.filter((type) => type.startsWith('asset.') || type.startsWith('collection.'));

/** The event types a client named (a subscription's filter, a webhook's), each one of `allowed`, without repeats; else a ValidationError naming `field`. */
export function checkEventTypes(types: readonly string[], allowed: readonly EventType[], field: string): EventType[] {
  const unknown = types.find((type) => !(allowed as readonly string[]).includes(type));
  if (unknown) throw new ValidationError(field, `Unknown event type ${unknown}; the types are ${allowed.join(', ')}`);
  return [...new Set(types)] as EventType[];
}

/** Most asset ids a subscription's filter may name. */
export const maxFilterIds = 100;

/** A subscription's filter as a client gave it, checked: known asset event types, UUIDs, at most maxFilterIds assets. */
export function checkAssetEventFilter(
  filter: { types?: readonly string[] | null; libraryId?: string | null; assetIds?: readonly string[] | null } | null | undefined,
) {
  const assetIds = filter?.assetIds ?? null;
  if (assetIds && assetIds.length > maxFilterIds) throw new ValidationError('assetIds', `At most ${maxFilterIds} asset IDs`);
  for (const id of assetIds ?? []) checkUuid('assetIds', 'Each asset ID', id);
  return {
    types: filter?.types ? checkEventTypes(filter.types, assetEventTypes, 'types') : null,
    libraryId: filter?.libraryId ? checkUuid('libraryId', 'Library ID', filter.libraryId) : null,
    assetIds: assetIds ? [...assetIds] : null,
  };
}

/** What wakes this process's readers of the log after a commit (src/events/wakeups.ts). */
const wiring = new WeakMap<Db, () => void>();

/** Called by the app that owns `db`. */
export function wireEvents(db: Db, committed: () => void) {
  wiring.set(db, committed);
}

/** The channel gateways NOTIFY on after a commit that recorded events (./../events/wakeups.ts). */
export const notifyChannel = 'agw_events';

/** Says that a write of `db` committed events: this process's readers look now, and (with Redis) the other processes'. Answers `value`. */
export function eventsCommitted<T>(db: Db, value?: T): T {
  wiring.get(db)?.();
  return value as T;
}

/** Records collection.items_changed in the transaction that changed the items: the collection, with its visible items' ids in order. */
export async function recordItemsChanged(tx: Prisma.TransactionClient, collectionId: string): Promise<void> {
  await tx.$executeRaw`
    SELECT record_event(a.workspace_id, 'collection.items_changed', a.id, a.library_id, asset_event_data(a) || jsonb_build_object('itemIds', (
      SELECT COALESCE(jsonb_agg(ci.asset_id ORDER BY ci.position, ci.asset_id), '[]'::jsonb)
      FROM collection_items ci JOIN assets m ON m.id = ci.asset_id AND m.deleted_at IS NULL
      WHERE ci.collection_id = a.id)))
    FROM assets a WHERE a.id = ${collectionId}::uuid`;
}

/** One event as readers see it. */
export interface StoredEvent {
  id: bigint;
  workspaceId: string;
  type: EventType;
  objectId: string;
  libraryId: string | null;
  occurredAt: Date;
  data: Prisma.JsonValue;
}

const storedEventSelect = { id: true, workspaceId: true, type: true, objectId: true, libraryId: true, occurredAt: true, data: true } as const;

/** Events after `after` in id order, of one workspace or (null) all. */
export async function eventsAfter(db: Db, after: bigint, limit: number, workspaceId: string | null = null): Promise<StoredEvent[]> {
  const rows = await db.event.findMany({
    select: storedEventSelect,
    where: { id: { gt: after }, ...(workspaceId ? { workspaceId } : {}) },
    orderBy: { id: 'asc' },
    take: limit,
  });
  return rows as StoredEvent[];
}

/** The newest event's id (0 for none). */
export async function lastEventId(db: Db): Promise<bigint> {
  const { _max } = await db.event.aggregate({ _max: { id: true } });
  return _max.id ?? 0n;
}

/** Deletes events older than the retention; answers how many. */
export async function pruneEvents(db: Db, retentionHours: number): Promise<number> {
  const { count } = await db.event.deleteMany({ where: { occurredAt: { lt: new Date(Date.now() - retentionHours * 3_600_000) } } });
  return count;
}

const pruneEveryMs = 60 * 60_000;

/** Prunes old events at start and then hourly, by one process of all those sharing the database (./periodic.ts). */
export function scheduleEventPruning(db: Db, retentionHours: number, report: { pruned(count: number): void; error(error: unknown): void }) {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        if (await claimPeriod(db, 'event-prune', pruneEveryMs)) report.pruned(await pruneEvents(db, retentionHours));
      } catch (error) {
        report.error(error);
      } finally {
        running = undefined;
      }
    })();
  };
  run();
  const timer = setInterval(run, pruneEveryMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
