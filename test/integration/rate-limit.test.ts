import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { useTestApp } from '../helpers/app.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { finished, freePort, startTs, waitForOutput } from '../helpers/process.ts';
import { rest } from '../helpers/rest.ts';
import { redisAnswers, redisUrl } from '../helpers/redis.ts';

/**
 * Rate limits: per key, per IP without a valid key (failed authentications included, refused
 * before the database is asked), 429 with Retry-After and the RateLimit headers in each face's
 * shape, and shared through Redis by several gateway processes.
 */
const t = useTestApp({ RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2' });
const graphqlPost = (key: string | null, ip = '127.0.0.1') =>
  t.app.inject({
    method: 'POST',
    url: '/graphql',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    payload: { query: '{ assets { total } }' },
  });

describe('rate limits', () => {
  it('give each key its budget, then answer 429 with Retry-After in the REST catalog', async () => {
    const key = await t.newKey();
    for (let i = 1; i <= 3; i++) {
      const response = await rest(t.app, key, 'get', '/api/v1/assets');
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': String(3 - i) });
      expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    const refused = await rest(t.app, key, 'get', '/api/v1/assets');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'Too many requests',
      message: expect.stringMatching(/^Rate limit of 3 requests per minute exceeded; retry in \d+ s$/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // Another key has its own budget.
    expect((await rest(t.app, await t.newKey(), 'get', '/api/v1/assets')).status).toBe(200);
  });

  it('answer 429 on /graphql in GraphQL shape', async () => {
    const key = await t.newKey();
    for (let i = 0; i < 3; i++) expect((await graphqlPost(key)).statusCode).toBe(200);
    const refused = await graphqlPost(key);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/^Rate limit of 3/), extensions: { code: 'RATE_LIMITED' } }] });
  });

  it('limit calls without a valid key per IP, and stop asking the database once a guesser is over', async () => {
    const ip = '203.0.113.7';
    const verified = await t.newKey();
    expect((await graphqlPost(verified, ip)).statusCode).toBe(200);
    const guess = () => `agk_${randomBytes(9).toString('base64url')}_${randomBytes(32).toString('base64url')}`;
    expect((await graphqlPost(guess(), ip)).statusCode).toBe(401);
    expect((await graphqlPost(null, ip)).statusCode).toBe(401);
    const before = t.database.statements.length;
    const refused = await graphqlPost(guess(), ip);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(t.database.statements.length).toBe(before);
    // A key verified before goes on, on its own budget; a key not yet verified waits out the
    // IP's minute like any other guess (that is what keeps guesses off the database).
    expect((await graphqlPost(verified, ip)).statusCode).toBe(200);
    expect((await graphqlPost(await t.newKey(), ip)).statusCode).toBe(429);
    // Health probes are never limited.
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip })).statusCode).toBe(200);
  });
});

describe('RATE_LIMIT_PER_MINUTE=0', () => {
  const off = useTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
  it('turns every limit off, headers included', async () => {
    const key = await off.newKey();
    for (let i = 0; i < 10; i++) {
      const response = await off.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${key}` } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('rate limits in Redis', () => {
  let available = false;
  const dirs: string[] = [];
  beforeAll(async () => {
    available = await redisAnswers();
    if (!available) console.warn(`Skipping the two-process rate-limit test: no Redis at ${redisUrl}`);
  });
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('count from the first request after a start (the app waits for Redis before serving)', async (ctx) => {
    if (!available) return ctx.skip();
    const database = await openTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'assets-gateway-rl-'));
    dirs.push(dataDir);
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `agw-test-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1' };
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...env }), db: database.db });
    try {
      // Redis may still be connecting here: a check that failed open would count nothing.
      const statuses = [];
      for (let i = 0; i < 2; i++) statuses.push((await app.inject({ method: 'GET', url: '/api/v1/assets' })).statusCode);
      expect(statuses).toEqual([401, 429]);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('count one budget per client across both', { timeout: 300_000 }, async (ctx) => {
    if (!available) return ctx.skip();
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `agw-test-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '4' };
    const servers = await Promise.all(
      [0, 1].map(async () => {
        const dir = await mkdtemp(join(tmpdir(), 'assets-gateway-rl-'));
        dirs.push(dir);
        const port = await freePort();
        const child = startTs('src/index.ts', [], { ...env, DATA_DIR: dir, PORT: String(port) });
        await waitForOutput(child, /assets-gateway: GraphQL/);
        return { child, base: `http://127.0.0.1:${port}` };
      }),
    );
    try {
      const call = (i: number) => fetch(`${servers[i % 2].base}/api/v1/assets`);
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(i)).status);
      // Four calls without a key are answered (401), across both processes; then both refuse.
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      const refused = await call(0);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refused.json()).toMatchObject({ error: 'Too many requests' });
    } finally {
      for (const { child } of servers) {
        const exit = finished(child);
        child.kill('SIGTERM');
        await exit;
      }
    }
  });
});
