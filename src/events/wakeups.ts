import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { engineOf } from '../db/database.ts';
import { notifyChannel, wireEvents } from '../domain/events.ts';
import { redisErrors } from '../metrics.ts';

/**
 * How a commit in one gateway process wakes the readers of the event log (the subscriptions' hub, the webhooks' hand-out) of all of them. Only a wake-up
 * travels: the events themselves are read from the table, so a lost wake-up delays an event by
 * the hub's poll at most, and never loses it.
 *
 * - `REDIS_URL` set: a message on `${REDIS_KEY_PREFIX}events` after each commit (Redis pub/sub).
 * - PostgreSQL without Redis: a `NOTIFY` after each commit, sent and heard on one LISTEN
 *   connection per process. Sent after the commit, not in it (a NOTIFY in a transaction would take
 *   a database-wide lock at its commit, making writes commit one at a time). With Redis, no
 *   NOTIFY is sent at all. Either way, see announcer: one message in flight, and none heard back.
 * - Embedded PGlite: one process holds the database, so the commit wakes this process's hub
 *   directly (PGlite's own LISTEN/NOTIFY would only say the same thing within the process).
 */
/**
 * Announces commits to the other processes through `send` (one message whose payload is this
 * process's id, which it ignores when the message comes back): one in flight at a time, and the
 * commits that come meanwhile share the next one.
 */
function announcer(send: (payload: string) => Promise<unknown> | undefined, onError: (error: Error) => void) {
  const self = randomUUID();
  let announcing = false;
  let again = false;
  const announce = () => {
    if (announcing) {
      again = true;
      return;
    }
    const sending = send(self);
    // Not connected: the other processes find the events by their poll.
    if (!sending) return;
    announcing = true;
    sending.catch(onError).finally(() => {
      announcing = false;
      if (again) {
        again = false;
        announce();
      }
    });
  };
  return { announce, fromSelf: (payload: string) => payload === self };
}

export async function startWakeups(db: Db, config: Config, wake: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
  const engine = engineOf(db);
  if (config.redisUrl) {
    // Loaded only when REDIS_URL is set.
    const { Redis } = await import('ioredis');
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
    const publisher = new Redis(config.redisUrl, options);
    const subscriber = new Redis(config.redisUrl, options);
    const channel = `${config.redisKeyPrefix}events`;
    const failed = (error: Error) => {
      redisErrors.inc();
      onError(error);
    };
    publisher.on('error', failed);
    subscriber.on('error', failed);
    // On every (re)connection: subscribe, and read what a lost message may have announced.
    subscriber.on('ready', () => {
      void subscriber.subscribe(channel).catch(failed);
      wake();
    });
    const { announce, fromSelf } = announcer((payload) => publisher.publish(channel, payload), failed);
    // This process's own commits woke it already.
    subscriber.on('message', (_channel, payload) => fromSelf(payload) || wake());
    wireEvents(db, () => {
      wake();
      announce();
    });
    return async () => {
      await Promise.all([publisher.quit(), subscriber.quit()].map((closing) => closing.catch(() => {})));
    };
  }
  if (engine?.kind === 'postgres' && engine.databaseUrl) {
    const url = engine.databaseUrl;
    let client: pg.Client | null = null;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const { announce, fromSelf } = announcer((payload) => client?.query('SELECT pg_notify($1, $2)', [notifyChannel, payload]), onError);
    const connect = async () => {
      const next = new pg.Client({ connectionString: url });
      // This process's own commits woke it already.
      next.on('notification', (message) => fromSelf(message.payload ?? '') || wake());
      next.on('error', (error) => {
        onError(error);
        reconnect();
      });
      next.on('end', reconnect);
      client = next;
      await next.connect();
      await next.query(`LISTEN ${notifyChannel}`);
      // Events committed while no connection listened.
      wake();
    };
    function reconnect() {
      if (stopped || retry) return;
      const old = client;
      client = null;
      old?.removeAllListeners('end');
      void old?.end().catch(() => {});
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch((error) => {
          onError(error);
          reconnect();
        });
      }, 1000);
      retry.unref();
    }
    wireEvents(db, () => {
      wake();
      announce();
    });
    await connect().catch((error) => {
      onError(error);
      reconnect();
    });
    return async () => {
      stopped = true;
      clearTimeout(retry);
      const last = client as pg.Client | null;
      last?.removeAllListeners('end');
      await last?.end().catch(() => {});
    };
  }
  wireEvents(db, wake);
  return async () => {};
}
