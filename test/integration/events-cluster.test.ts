import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/keys.ts';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.ts';
import { sseSubscribe, wsClient, wsSubscribe } from '../helpers/events.ts';
import { startGateway as startGatewayProcess } from '../helpers/process.ts';
import { redisAnswers, redisUrl } from '../helpers/redis.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';

/**
 * A change made through one gateway process reaches the subscribers of another: two pairs of
 * real processes on one PostgreSQL, one pair woken by LISTEN/NOTIFY, the other by Redis.
 */
const redisUp = await redisAnswers();
const onServer = runsOrSaysWhy(
  serverUrl !== undefined,
  'events-cluster.test.ts',
  'several gateway processes need a PostgreSQL server (the embedded database belongs to one process): set TEST_DATABASE_URL',
);

const subscription = 'subscription { assetEvents { id type assetId asset { title } } }';

describe.runIf(onServer)('events across gateway processes', () => {
  let database: TestDatabase;
  let key: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  async function startGateway(env: Record<string, string>): Promise<string> {
    // No poll within the test's time: only a wake-up from the other process delivers an event.
    const noPoll = { EVENTS_POLL_MS: '600000' };
    return (await startGatewayProcess({ DATABASE_URL: database.url, RATE_LIMIT_PER_MINUTE: '0', ...noPoll, ...env }, cleanups)).url;
  }

  const modes: [string, Record<string, string>][] = [['PostgreSQL LISTEN/NOTIFY', {}]];
  if (runsOrSaysWhy(redisUp, 'events-cluster.test.ts: the Redis pair', `no Redis answers at ${redisUrl}`)) {
    modes.push(['Redis', { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `agw-events-${randomBytes(4).toString('hex')}:` }]);
  }
  const gateways = new Map<string, [string, string]>();

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ key } = await createApiKey(database.db, { name: 'events cluster', scopes: ['read:assets', 'write:assets'] }));
    await Promise.all(
      modes.map(async ([name, env]) => {
        const pair = await Promise.all([startGateway(env), startGateway(env)]);
        gateways.set(name, pair as [string, string]);
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    await database?.close();
  });

  for (const [name] of modes) {
    it(`woken by ${name}: a create on one process reaches SSE and WebSocket subscribers of the other, in order`, async () => {
      const [a, b] = gateways.get(name)!;
      const overSse = await sseSubscribe(b, key, subscription);
      const ws = wsClient(b, key);
      const overWs = wsSubscribe(ws.client, subscription);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const ids: string[] = [];
        for (const title of ['One', 'Two', 'Three']) {
          const response = await fetch(`${a}/api/v1/assets`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `${name} ${title}`, asset_type: 'pdf' }),
          });
          expect(response.status).toBe(201);
          ids.push(((await response.json()) as { data: { id: string } }).data.id);
        }
        for (const live of [overSse, overWs]) {
          const events = await live.received.take(3);
          expect(events.map((e) => e.assetId)).toEqual(ids);
          expect(events[0]).toMatchObject({ type: 'asset.created', asset: { title: `${name} One` } });
        }
      } finally {
        overSse.close();
        overWs.close();
        await ws.client.dispose();
      }
    });
  }
});
