import type { Principal } from '../auth/keys.ts';
import { keyRevocations } from '../auth/revocations.ts';
import type { Db } from '../db/client.ts';
import { eventsAfter, lastEventId, type EventType, type StoredEvent } from '../domain/events.ts';

/**
 * Live delivery of the event log (src/domain/events.ts) to this process's subscriptions. The
 * table is the source of truth: a wake-up (a commit in this process, a NOTIFY or a Redis message
 * from another, ./wakeups.ts, or a poll every few seconds as a safety net) makes the hub read the
 * events after the last one it read, in id order, once for all its subscriptions, and hand each
 * subscription those that match it. A subscription that starts `after` an id first reads what it
 * missed from the table (the same read), then takes the live events: ids are compared, so no event
 * is given twice and none is skipped.
 */

export interface EventFilter {
  types?: readonly EventType[] | null;
  libraryId?: string | null;
  assetIds?: readonly string[] | null;
}

export interface HubLimits {
  /** Most subscriptions one key may hold open on this process. */
  perKey: number;
  /** Most subscriptions this process serves. */
  perProcess: number;
  /** How often the keys of open subscriptions are checked again (revoked or expired keys end theirs). */
  keyCheckMs: number;
  /** The safety net: while subscriptions are open, the table is read at least this often, whatever the wake-ups did. */
  pollMs: number;
}

/** A subscription refused by the limits. */
export class SubscriptionLimitError extends Error {
  override name = 'SubscriptionLimitError';
}

const batchSize = 500;
/** A subscription whose client reads slower than events arrive, this many behind, is ended (it may resume with `after`). */
const maxQueued = 10_000;

const hubs = new WeakMap<Db, EventHub>();

/** The hub serving subscriptions on this database in this process (made by the app, ./wakeups.ts). */
export function eventHubOf(db: Db): EventHub | undefined {
  return hubs.get(db);
}

export class EventHub {
  private readonly subscriptions = new Set<EventSubscription>();
  /** The last event id read and handed out; valid only while `fresh`. */
  private lastId = 0n;
  private fresh = false;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onRevoked = (keyId: string) => this.endWhere((s) => s.principal.keyId === keyId);

  constructor(
    private readonly db: Db,
    private readonly limits: HubLimits,
    private readonly onError: (error: unknown) => void,
  ) {
    hubs.set(db, this);
    keyRevocations.on('revoked', this.onRevoked);
    this.timers.push(setInterval(() => this.wake(), limits.pollMs).unref());
    this.timers.push(setInterval(() => void this.checkKeys().catch(onError), Math.max(250, limits.keyCheckMs)).unref());
  }

  get size() {
    return this.subscriptions.size;
  }

  /** New events may be in the table. */
  wake() {
    if (this.closed || !this.subscriptions.size) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readNew()
      .catch(this.onError)
      .finally(() => {
        this.reading = null;
      });
  }

  private async readNew() {
    do {
      this.readAgain = false;
      if (!this.fresh) {
        this.lastId = await lastEventId(this.db);
        this.fresh = true;
      }
      for (;;) {
        const batch = await eventsAfter(this.db, this.lastId, batchSize);
        for (const event of batch) {
          this.lastId = event.id;
          for (const subscription of this.subscriptions) subscription.offer(event);
        }
        if (batch.length < batchSize) break;
      }
    } while (this.readAgain && !this.closed);
  }

  /**
   * A subscription for a principal's workspace: the events after `after` (within the retention),
   * then live ones; from now on without `after`.
   */
  async subscribe(principal: Principal, kinds: readonly EventType[], filter: EventFilter, after: bigint | null): Promise<EventSubscription> {
    if (this.closed) throw new SubscriptionLimitError('The server is stopping; reconnect');
    if (this.subscriptions.size >= this.limits.perProcess)
      throw new SubscriptionLimitError(`This server holds its limit of ${this.limits.perProcess} subscriptions; retry later`);
    let ofKey = 0;
    for (const s of this.subscriptions) if (s.principal.keyId === principal.keyId) ofKey++;
    if (ofKey >= this.limits.perKey) throw new SubscriptionLimitError(`At most ${this.limits.perKey} subscriptions per API key at once`);
    // The head before joining: every event after it is either read back below or handed out live.
    const head = await lastEventId(this.db);
    if (!this.subscriptions.size && !this.reading) {
      // The hub read nothing while nobody listened: it starts from here.
      this.lastId = head;
      this.fresh = true;
    }
    const subscription = new EventSubscription(principal, kinds, filter, after ?? head, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    void subscription.catchUp(this.db).catch((error) => {
      this.onError(error);
      subscription.end();
    });
    return subscription;
  }

  /** Ends the subscriptions of keys revoked or expired since they started (KEY_CACHE_TTL_MS bounds how long that takes). */
  private async checkKeys() {
    if (!this.subscriptions.size) return;
    const keyIds = [...new Set([...this.subscriptions].map((s) => s.principal.keyId))];
    const live = await this.db.apiKey.findMany({
      where: { id: { in: keyIds }, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      select: { id: true },
    });
    const valid = new Set(live.map((key) => key.id));
    this.endWhere((s) => !valid.has(s.principal.keyId));
  }

  private endWhere(test: (s: EventSubscription) => boolean) {
    for (const subscription of this.subscriptions) if (test(subscription)) subscription.end();
  }

  /** Ends every subscription (a stop): clients reconnect elsewhere, with `after`. */
  async close() {
    this.closed = true;
    keyRevocations.off('revoked', this.onRevoked);
    for (const timer of this.timers) clearInterval(timer);
    this.endWhere(() => true);
    await this.reading;
  }
}

/** One subscription: an async iterator of the events it may see, in id order. */
export class EventSubscription implements AsyncIterableIterator<StoredEvent> {
  private readonly queue: StoredEvent[] = [];
  /** Live events that arrived while the missed ones were read. */
  private held: StoredEvent[] | null = [];
  private waiting: ((result: IteratorResult<StoredEvent>) => void) | null = null;
  private ended = false;
  /** The last event id queued. */
  private cursor: bigint;

  constructor(
    readonly principal: Principal,
    private readonly kinds: readonly EventType[],
    private readonly filter: EventFilter,
    after: bigint,
    private readonly leave: () => void,
  ) {
    this.cursor = after;
  }

  private matches(event: StoredEvent): boolean {
    const { types, libraryId, assetIds } = this.filter;
    return (
      event.workspaceId === this.principal.workspaceId &&
      this.kinds.includes(event.type) &&
      (!types?.length || types.includes(event.type)) &&
      (!libraryId || event.libraryId === libraryId) &&
      (!assetIds?.length || assetIds.includes(event.objectId))
    );
  }

  /** Reads what was missed from the table, then lets live events through. */
  async catchUp(db: Db) {
    for (;;) {
      const batch = await eventsAfter(db, this.cursor, batchSize, this.principal.workspaceId);
      for (const event of batch) this.push(event);
      if (batch.length < batchSize || this.ended) break;
    }
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.push(event);
  }

  /** A live event from the hub. */
  offer(event: StoredEvent) {
    if (this.held) this.held.push(event);
    else this.push(event);
  }

  private push(event: StoredEvent) {
    if (this.ended || event.id <= this.cursor) return;
    this.cursor = event.id;
    if (!this.matches(event)) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > maxQueued) this.end();
  }

  next(): Promise<IteratorResult<StoredEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<StoredEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the subscription: what is queued is still given, then the iterator is done. */
  end() {
    if (this.ended) return;
    this.ended = true;
    this.leave();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
