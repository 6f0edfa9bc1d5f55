import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { engineOf } from '../db/database.ts';
import { sendWebhook } from '../domain/webhooks.ts';
import { observeWebhookQueue } from '../metrics.ts';

/**
 * Runs webhook deliveries on pg-boss, a durable queue in PostgreSQL (its own schema `pgboss`,
 * created and migrated by pg-boss at start).
 *
 * Handing out: events become deliveries in one transaction on a connection of our own, by
 * whichever process holds the lock of the one `webhook_cursor` row: the events after the cursor,
 * a delivery row per event and endpoint that wants it, a pg-boss job per delivery (sent in the
 * same transaction), and the cursor moved on. A crash before the commit hands out nothing; after
 * it, every delivery has its job. So every committed event is delivered at least once.
 *
 * Delivering: a job POSTs its delivery (src/domain/webhooks.ts) and logs the attempt; a 2xx is
 * delivered, a 410 Gone disables the endpoint, anything else fails the job, which pg-boss retries
 * with exponential backoff (WEBHOOK_RETRY_DELAY_SECONDS doubled each time, with jitter) up to
 * WEBHOOK_RETRY_LIMIT times; then the delivery is failed. A process killed mid-delivery leaves
 * its job active until it expires (jobExpirySeconds), and pg-boss then runs it again (within maintenanceSeconds more).
 *
 * The embedded database (PGlite) runs none of this: pg-boss needs connections of its own to a
 * PostgreSQL server, and PGlite is one connection inside this process. Webhooks there answer
 * SERVICE_UNAVAILABLE (503) saying they need DATABASE_URL.
 */

export const deliverQueue = 'webhook-deliver';
/** A job still active this long after it started (the process died) is run again, at pg-boss's next maintenance (every maintenanceSeconds). */
const jobExpirySeconds = 20;
const maintenanceSeconds = 15;
const batchSize = 200;
const workers = 4;
/** How long wake-ups are gathered before one hand-out: a webhook waits this much more, a burst of changes costs one. */
const handOutDelayMs = 50;
/** The safety net of handing out: at least this often, whatever the wake-ups did. */
const pollMs = 5000;
/** The longest a worker waits between looks for jobs due (retries); new jobs wake it at once. */
const jobPollMaxSeconds = 5;

export interface WebhookService {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: what the URL rules admit. */
  allowPrivateNetworks: boolean;
  /** Events may have been committed: hand out their deliveries. */
  wake(): void;
  /** Queues deliveries made outside the hand-out (tests, retries). */
  enqueue(deliveryIds: string[]): Promise<void>;
  stop(): Promise<void>;
}

const services = new WeakMap<Db, WebhookService>();

/** The webhook service of a database, or undefined where webhooks do not run (the embedded database). */
export function webhookServiceOf(db: Db): WebhookService | undefined {
  return services.get(db);
}

type Log = { error(error: unknown, message: string): void };

export async function startWebhooks(db: Db, config: Config, log: Log): Promise<WebhookService | undefined> {
  const engine = engineOf(db);
  if (engine?.kind !== 'postgres' || !engine.databaseUrl) return undefined;
  const url = engine.databaseUrl;
  const boss = new PgBoss({
    connectionString: url,
    max: 3,
    schema: 'pgboss',
    application_name: 'assets-gateway webhooks',
    maintenanceIntervalSeconds: maintenanceSeconds,
  });
  boss.on('error', (error) => log.error(error, 'webhook queue error'));
  await boss.start();
  const queueOptions = {
    name: deliverQueue,
    retryLimit: config.webhookRetryLimit,
    retryDelay: config.webhookRetryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: jobExpirySeconds,
  };
  // pg-boss 10's create_queue deadlocks when two processes create the queue at once (one's INSERT
  // … ON CONFLICT waits on the other's row while the other alters the queue table). PostgreSQL
  // aborts one; that one tries again and finds the queue made.
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(deliverQueue, queueOptions);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt === 3) throw error;
    }
  }
  // The hand-out starts at the events of now, the first time webhooks run on this database.
  await db.$executeRaw`INSERT INTO webhook_cursor (id, last_event_id) SELECT true, COALESCE(MAX(id), 0) FROM events ON CONFLICT (id) DO NOTHING`;

  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', (error) => log.error(error, 'webhook hand-out connection error'));
  let handing: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function handOut(): Promise<number> {
    const client = await pool.connect();
    try {
      // No endpoint anywhere: nothing to hand out, and no transaction to pay for on every change.
      // The cursor stays behind; an endpoint gets only events from its creation on (below).
      const any = await client.query('SELECT 1 FROM webhook_endpoints WHERE enabled LIMIT 1');
      if (!any.rows.length) return 0;
      await client.query('BEGIN');
      const cursor = await client.query<{ last_event_id: string }>('SELECT last_event_id FROM webhook_cursor WHERE id FOR UPDATE SKIP LOCKED');
      // Another process is handing out: it will see these events too.
      if (!cursor.rows.length) {
        await client.query('ROLLBACK');
        return 0;
      }
      const events = await client.query<{ id: string; workspace_id: string; type: string; occurred_at: Date; data: unknown }>(
        'SELECT id, workspace_id, type, occurred_at, data FROM events WHERE id > $1 ORDER BY id LIMIT $2',
        [cursor.rows[0].last_event_id, batchSize],
      );
      if (!events.rows.length) {
        await client.query('ROLLBACK');
        return 0;
      }
      const endpoints = await client.query<{ id: string; workspace_id: string; events: string[]; created_at: Date }>(
        'SELECT id, workspace_id, events, created_at FROM webhook_endpoints WHERE enabled AND workspace_id = ANY($1::uuid[])',
        [[...new Set(events.rows.map((event) => event.workspace_id))]],
      );
      const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
      for (const event of events.rows) {
        for (const endpoint of endpoints.rows) {
          if (endpoint.workspace_id !== event.workspace_id || (endpoint.events.length && !endpoint.events.includes(event.type))) continue;
          if (event.occurred_at < endpoint.created_at) continue;
          const payload = { type: event.type, timestamp: event.occurred_at.toISOString(), data: event.data };
          const created = await client.query<{ id: string }>(
            `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, type, payload) VALUES (gen_random_uuid(), $1, $2, $3, $4)
             ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
            [endpoint.id, event.id, event.type, JSON.stringify(payload)],
          );
          if (created.rows.length) await boss.send(deliverQueue, { deliveryId: created.rows[0].id }, { db });
        }
      }
      await client.query('UPDATE webhook_cursor SET last_event_id = $1 WHERE id', [events.rows.at(-1)!.id]);
      await client.query('COMMIT');
      return events.rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  const workerIds: string[] = [];
  const notifyWorkers = () => {
    for (const id of workerIds) boss.notifyWorker(id);
  };

  // Wake-ups come with every commit (and its NOTIFY): they are gathered for handOutDelayMs, so
  // that a burst of changes costs one hand-out, not one query per change.
  let gathering: NodeJS.Timeout | undefined;
  const wake = () => {
    if (stopped || gathering) return;
    gathering = setTimeout(() => {
      gathering = undefined;
      handOutNow();
    }, handOutDelayMs);
  };
  const handOutNow = () => {
    if (stopped) return;
    if (handing) {
      again = true;
      return;
    }
    handing = (async () => {
      do {
        again = false;
        for (;;) {
          const handed = stopped ? 0 : await handOut();
          if (handed > 0) notifyWorkers();
          if (handed < batchSize) break;
        }
      } while (again && !stopped);
    })()
      .catch((error) => log.error(error, 'webhook hand-out failed'))
      .finally(() => {
        handing = null;
      });
  };
  const timer = setInterval(wake, pollMs).unref();

  const deliver = async ([job]: PgBoss.JobWithMetadata<{ deliveryId: string }>[]) => {
    const delivery = await db.webhookDelivery.findUnique({ where: { id: job.data.deliveryId }, include: { endpoint: true } });
    if (!delivery || delivery.status === 'delivered') return;
    if (!delivery.endpoint.enabled) {
      await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'failed' } });
      return;
    }
    const result = await sendWebhook(delivery.endpoint, delivery, config.webhookAllowPrivateNetworks);
    await db.webhookAttempt.create({ data: { deliveryId: delivery.id, ...result } });
    const code = result.statusCode ?? 0;
    if (code >= 200 && code < 300) {
      await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'delivered', deliveredAt: new Date() } });
      return;
    }
    if (code === 410) {
      await db.$transaction([
        db.webhookEndpoint.update({ where: { id: delivery.endpointId }, data: { enabled: false, disabledReason: 'The receiver answered 410 Gone' } }),
        db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'failed' } }),
      ]);
      return;
    }
    if (job.retryCount >= job.retryLimit) await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'failed' } });
    throw new Error(result.error ?? `The receiver answered ${code}`);
  };
  // New jobs wake the workers at once (notifyWorker); polling only finds retries as they fall due,
  // so it need not be more frequent than the first retry's delay (an idle gateway sends a query
  // per worker per interval).
  const pollingIntervalSeconds = Math.min(jobPollMaxSeconds, config.webhookRetryDelaySeconds);
  for (let i = 0; i < workers; i++) workerIds.push(await boss.work(deliverQueue, { batchSize: 1, pollingIntervalSeconds, includeMetadata: true }, deliver));

  // The queue's lag for GET /metrics: events after the cursor count only while an endpoint is
  // enabled, since without one the cursor stays behind on purpose (handOut).
  const unobserve = observeWebhookQueue({
    async eventsWaitingSeconds() {
      const [row] = await db.$queryRaw<{ seconds: number }[]>`
        SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS seconds FROM events
        WHERE id > (SELECT last_event_id FROM webhook_cursor) AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled)`;
      return row.seconds;
    },
    jobsQueued: async () => (await boss.getQueueSize(deliverQueue)) ?? 0,
  });

  const service: WebhookService = {
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
    wake,
    async enqueue(deliveryIds) {
      for (const deliveryId of deliveryIds) await boss.send(deliverQueue, { deliveryId });
      notifyWorkers();
    },
    async stop() {
      stopped = true;
      unobserve();
      clearInterval(timer);
      clearTimeout(gathering);
      await handing;
      await boss.stop({ graceful: true, timeout: 15_000, wait: true });
      await pool.end();
    },
  };
  services.set(db, service);
  wake();
  return service;
}
