import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/keys.ts';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.ts';
import { freePort, startGateway } from '../helpers/process.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';

/**
 * kill -9 while changes are being made and delivered: every acknowledged change's event still
 * reaches the receiver at least once after a restart; duplicates are counted and reported
 * (receivers deduplicate on webhook-id). PostgreSQL only, as webhooks are.
 */
const onServer = runsOrSaysWhy(
  serverUrl !== undefined,
  'webhooks-crash.test.ts',
  'webhooks run on pg-boss, which needs a PostgreSQL server: set TEST_DATABASE_URL',
);

describe.runIf(onServer)('webhooks after kill -9', () => {
  let database: TestDatabase;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await database?.close();
  });

  async function start(port: number): Promise<ChildProcess> {
    const env = {
      PORT: String(port),
      DATABASE_URL: database.url,
      RATE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_DELAY_SECONDS: '1',
    };
    return (await startGateway(env, cleanups)).child;
  }

  it('delivers every acknowledged create at least once, and counts the duplicates', { timeout: 240_000 }, async () => {
    database = await openTestDatabase();
    const { key } = await createApiKey(database.db, { name: 'crash', scopes: ['read:assets', 'write:assets', 'admin:webhooks'] });
    // The receiver: a little slow, so that deliveries are in flight when the gateway dies.
    const received: { webhookId: string; assetId: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ webhookId: String(req.headers['webhook-id']), assetId: JSON.parse(body).data.id });
        setTimeout(() => res.writeHead(200).end('ok'), 20);
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    cleanups.push(() => new Promise((resolve) => receiver.close(resolve)));

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = await start(port);
    const hook = await fetch(`${base}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`, events: ['asset.created'] }),
    });
    expect(hook.status).toBe(201);

    const acknowledged: string[] = [];
    const create = async (i: number) => {
      try {
        const response = await fetch(`${base}/api/v1/assets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: `Crash ${i}`, asset_type: 'pdf' }),
        });
        if (response.status === 201) acknowledged.push(((await response.json()) as { data: { id: string } }).data.id);
      } catch {
        // cut by the kill: not acknowledged
      }
    };
    // 8 at a time; kill -9 once 100 are acknowledged and some are being delivered.
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 200 && !killed) {
          await create(next++);
          if (!killed && acknowledged.length >= 100 && received.length > 0) {
            killed = true;
            first.kill('SIGKILL');
          }
        }
      }),
    );
    expect(killed, 'the gateway was killed while deliveries were under way').toBe(true);
    await start(port);
    while (acknowledged.length < 200) await create(next++);

    const deadline = Date.now() + 120_000;
    let missing = acknowledged;
    while (Date.now() < deadline) {
      const seen = new Set(received.map((r) => r.assetId));
      missing = acknowledged.filter((id) => !seen.has(id));
      if (!missing.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(missing, `${missing.length} acknowledged creates never delivered`).toEqual([]);
    const ids = received.map((r) => r.webhookId);
    const duplicates = ids.length - new Set(ids).size;
    console.log(
      `kill -9 after ${next} creates were started: ${acknowledged.length} acknowledged, ${received.length} deliveries received, ${duplicates} duplicates (same webhook-id), none lost`,
    );
  });
});
