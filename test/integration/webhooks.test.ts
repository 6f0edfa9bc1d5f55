import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret, sendWebhook } from '../../src/domain/webhooks.ts';
import { serverUrl } from '../helpers/database.ts';
import { useTestApp } from '../helpers/app.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { rest } from '../helpers/rest.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';

/**
 * Webhooks: endpoints managed with admin:webhooks, deliveries signed as Standard Webhooks and
 * verified here by the `standardwebhooks` package, retried until the receiver answers, a 410
 * disabling the endpoint, URLs of private networks refused. Deliveries run on pg-boss, so on
 * PostgreSQL only; the embedded database refuses webhooks with 503.
 */

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1: each path answers the statuses it is given in turn (then its last one). */
class Receiver {
  readonly received: Received[] = [];
  readonly plans = new Map<string, number[]>();
  private waiters: (() => void)[] = [];
  server!: Server;
  base = '';

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.received.push({ path: req.url!, headers: req.headers, body });
        const plan = this.plans.get(req.url!) ?? [200];
        const status = plan.length > 1 ? plan.shift()! : plan[0];
        const redirect = status >= 300 && status < 400 ? { location: '/redirected' } : {};
        res.writeHead(status, { 'content-type': 'text/plain', ...redirect }).end(`answer ${status} ${'x'.repeat(2000)}`);
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Waits until `count` requests reached `path`. */
  async waitFor(path: string, count: number, timeoutMs = 60_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.received.filter((r) => r.path === path);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`${path}: ${got.length} of ${count} requests`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }
}

/** A delivery as GET /webhooks/{id}/deliveries shows it. */
interface LoggedDelivery {
  id: string;
  type: string;
  status: string;
  attempts: { status_code: number | null; error: string | null; duration_ms: number; response_body: string | null }[];
}

const admin = ['admin:webhooks', 'read:assets', 'write:assets'] as const;

describe('webhook URLs (without WEBHOOK_ALLOW_PRIVATE_NETWORKS)', () => {
  const t = useTestApp();

  it('refuses http, loopback, private, link-local and metadata addresses with a 400 naming url', async () => {
    const key = await t.newKey([...admin]);
    for (const url of [
      'http://example.com/hook',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00:ec2::254]/hook',
    ]) {
      const response = await rest(t.app, key, 'post', '/api/v1/webhooks', { json: { url } });
      expect({ url, status: response.status, field: response.body.field }).toEqual({ url, status: 400, field: 'url' });
    }
    const unknownType = await rest(t.app, key, 'post', '/api/v1/webhooks', { json: { url: 'https://93.184.215.14/hook', events: ['asset.exploded'] } });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.field).toBe('events');
  });

  it('checks the address again when it delivers, and follows no redirect', async () => {
    const receiver = new Receiver();
    await receiver.start();
    try {
      const port = (receiver.server.address() as { port: number }).port;
      const target = (scheme: 'http' | 'https', path: string) => ({ url: `${scheme}://localhost:${port}${path}`, secret: newWebhookSecret() });
      const delivery = { id: 'msg_recheck', payload: { type: 'webhook.test', timestamp: new Date().toISOString(), data: {} } };
      // A name that resolves to a private address now (DNS rebinding, or a URL admitted under the flag): not sent.
      const refused = await sendWebhook(target('https', '/private'), delivery, false);
      expect(refused).toMatchObject({ statusCode: null, error: expect.stringContaining('must not point at a loopback, private') });
      expect(receiver.received).toEqual([]);
      // A 3xx is the receiver's answer, a failed attempt: its Location is not followed.
      receiver.plans.set('/moved', [302]);
      const moved = await sendWebhook(target('http', '/moved'), delivery, true);
      expect(moved.statusCode).toBe(302);
      expect(receiver.received.map((r) => r.path)).toEqual(['/moved']);
    } finally {
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });

  it('needs admin:webhooks', async () => {
    const key = await t.newKey(['read:assets', 'write:assets']);
    expect((await rest(t.app, key, 'get', '/api/v1/webhooks')).status).toBe(403);
    expect((await rest(t.app, key, 'post', '/api/v1/webhooks', { json: { url: 'https://93.184.215.14/hook' } })).status).toBe(403);
  });

  const embedded = runsOrSaysWhy(!serverUrl, 'webhooks.test.ts: the 503 on the embedded database', 'TEST_DATABASE_URL is set: the suite runs on PostgreSQL');
  it.runIf(embedded)('are refused on the embedded database with 503, naming DATABASE_URL', async () => {
    const key = await t.newKey([...admin]);
    const response = await rest(t.app, key, 'post', '/api/v1/webhooks', { json: { url: 'https://93.184.215.14/hook' } });
    expect(response.status).toBe(503);
    expect(response.body.message).toContain('DATABASE_URL');
  });
});

const onServer = runsOrSaysWhy(
  serverUrl !== undefined,
  'webhooks.test.ts: deliveries',
  'they run on pg-boss, which needs a PostgreSQL server: set TEST_DATABASE_URL',
);

describe.runIf(onServer)('webhook deliveries', () => {
  const t = useTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_DELAY_SECONDS: '1' });
  const receiver = new Receiver();
  beforeAll(() => receiver.start());
  afterAll(() => new Promise((resolve) => receiver.server.close(resolve)));

  /** The delivery log once `done` holds for it (the receiver's answer is recorded just after it is sent). */
  async function deliveriesWhen(key: string, hookId: string, done: (log: LoggedDelivery[]) => boolean) {
    let log: LoggedDelivery[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await rest(t.app, key, 'get', `/api/v1/webhooks/${hookId}/deliveries`);
      expect(response.status).toBe(200);
      log = response.body.data;
      if (done(log)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return log;
  }

  async function endpoint(key: string, path: string, events?: string[]) {
    const created = await rest(t.app, key, 'post', '/api/v1/webhooks', { json: { url: `${receiver.base}${path}`, ...(events ? { events } : {}) } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.data as { id: string; url: string; events: string[]; enabled: boolean; secret: string };
  }

  it('delivers an event signed as Standard Webhooks, lists it with its attempts, and sends it again on retry', async () => {
    const key = await t.newKey([...admin]);
    const hook = await endpoint(key, '/signed', ['asset.created']);
    expect(hook).toMatchObject({
      url: `${receiver.base}/signed`,
      events: ['asset.created'],
      enabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
    });
    const listed = await rest(t.app, key, 'get', '/api/v1/webhooks');
    expect(listed.body.data).toEqual([expect.objectContaining({ id: hook.id, enabled: true })]);
    expect(listed.body.data[0].secret).toBeUndefined();

    const asset = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Hooked', asset_type: 'pdf' } });
    await rest(t.app, key, 'patch', `/api/v1/assets/${asset.body.data.id}`, { json: { title: 'Not delivered: not an asset.created' } });
    const [delivery] = await receiver.waitFor('/signed', 1);
    const verified = new Webhook(hook.secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: { id: string } };
    expect(verified).toMatchObject({
      type: 'asset.created',
      timestamp: expect.any(String),
      data: { id: asset.body.data.id, title: 'Hooked', assetType: 'PDF' },
    });
    // A body altered on the way fails the check.
    expect(() => new Webhook(hook.secret).verify(delivery.body.replace('Hooked', 'Hacked'), delivery.headers as Record<string, string>)).toThrow();

    const log = await deliveriesWhen(key, hook.id, (l) => l[0]?.status !== 'pending');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ id: delivery.headers['webhook-id'], type: 'asset.created', status: 'delivered' });
    expect(log[0].attempts).toEqual([expect.objectContaining({ status_code: 200, error: null, duration_ms: expect.any(Number) })]);
    // At most the first 1 KB of the answer is kept.
    expect(Buffer.byteLength(log[0].attempts[0].response_body!)).toBe(1024);

    const retried = await rest(t.app, key, 'post', `/api/v1/webhooks/deliveries/${delivery.headers['webhook-id']}/retry`);
    expect(retried.status).toBe(200);
    const again = await receiver.waitFor('/signed', 2);
    expect(again[1].headers['webhook-id']).toBe(delivery.headers['webhook-id']);

    const test = await rest(t.app, key, 'post', `/api/v1/webhooks/${hook.id}/test`);
    expect(test.status).toBe(201);
    const tested = await receiver.waitFor('/signed', 3);
    expect(JSON.parse(tested[2].body)).toMatchObject({ type: 'webhook.test' });

    // Another workspace's endpoint and deliveries answer like unknown ones.
    const stranger = await t.newKey([...admin]);
    expect((await rest(t.app, stranger, 'get', `/api/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await rest(t.app, stranger, 'delete', `/api/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect((await rest(t.app, key, 'delete', `/api/v1/webhooks/${hook.id}`)).status).toBe(200);
  });

  it('retries a receiver that fails three times, and delivers once it answers 200', async () => {
    const key = await t.newKey([...admin]);
    receiver.plans.set('/flaky', [500, 503, 502, 200]);
    const hook = await endpoint(key, '/flaky');
    await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Retried', asset_type: 'link', external_url: 'https://example.com' } });
    const got = await receiver.waitFor('/flaky', 4);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const log = await deliveriesWhen(key, hook.id, (l) => l[0]?.status !== 'pending');
    expect(log[0].status).toBe('delivered');
    expect(log[0].attempts.map((a) => a.status_code)).toEqual([500, 503, 502, 200]);
  });

  it('reports its queue at GET /metrics: an event not yet handed out, and a delivery waiting for its retry', async () => {
    const key = await t.newKey([...admin, 'read:metrics']);
    const gauge = async (name: string) => (await scrapeMetrics(t.app, key)).value(name);
    const gaugeWhen = async (name: string, done: (value: number) => boolean) => {
      let value = await gauge(name);
      for (let i = 0; i < 100 && !done(value); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        value = await gauge(name);
      }
      return value;
    };
    receiver.plans.set('/lagging', [500, 200]);
    await endpoint(key, '/lagging');

    // The hand-out skips a cursor another transaction holds: while this one does, the event waits.
    const holder = new pg.Client({ connectionString: t.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM webhook_cursor WHERE id FOR UPDATE');
      await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Lagging', asset_type: 'pdf' } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await gauge('webhook_events_waiting_seconds')).toBeGreaterThanOrEqual(0.2);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }

    // Handed out at the next poll; the first attempt fails, and its job waits for the retry.
    await receiver.waitFor('/lagging', 1);
    expect(await gaugeWhen('webhook_jobs_queued', (queued) => queued >= 1)).toBeGreaterThanOrEqual(1);
    expect(await gauge('webhook_events_waiting_seconds')).toBe(0);
    await receiver.waitFor('/lagging', 2);
    expect(await gaugeWhen('webhook_jobs_queued', (queued) => queued === 0)).toBe(0);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const key = await t.newKey([...admin]);
    receiver.plans.set('/gone', [410]);
    const hook = await endpoint(key, '/gone');
    await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Gone', asset_type: 'pdf' } });
    await receiver.waitFor('/gone', 1);
    let listed: { id: string; enabled: boolean; disabled_reason: string | null }[] = [];
    for (let i = 0; i < 50; i++) {
      listed = (await rest(t.app, key, 'get', '/api/v1/webhooks')).body.data;
      if (!listed[0].enabled) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed[0]).toMatchObject({ id: hook.id, enabled: false, disabled_reason: expect.stringContaining('410') });
    const log = await deliveriesWhen(key, hook.id, (l) => l[0]?.status !== 'pending');
    expect(log[0]).toMatchObject({ status: 'failed', attempts: [expect.objectContaining({ status_code: 410 })] });
  });
});
