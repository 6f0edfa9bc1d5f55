import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/keys.ts';
import { allScopes } from '../../src/auth/scopes.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { sweepUploadsOncePerPeriod } from '../../src/domain/files/uploads.ts';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.ts';
import { multipartBody } from '../helpers/files.ts';
import { type Gateway, startGateway as startGatewayProcess, runTs } from '../helpers/process.ts';
import { S3Emulator } from '../helpers/s3.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';
import { redisAnswers, redisUrl } from '../helpers/redis.ts';

/**
 * Several gateway processes on one PostgreSQL, one Redis and one bucket: a gateway of one
 * process and one of WEB_CONCURRENCY=2 (a primary and two workers), started once for the file.
 * What one process does, the others see; the upload sweep runs once across them; a SIGTERM to
 * the primary drains every worker. The refusal without DATABASE_URL needs no database.
 */

describe('WEB_CONCURRENCY without DATABASE_URL', () => {
  it('is one line naming both settings and exit code 1, before the data dir is touched', { timeout: 120_000 }, async () => {
    const dataDir = join(tmpdir(), `ag-cluster-untouched-${randomBytes(4).toString('hex')}`);
    const refused = await runTs('src/index.ts', [], { WEB_CONCURRENCY: '2', DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: WEB_CONCURRENCY=2 needs DATABASE_URL: the embedded database belongs to one process; set DATABASE_URL=postgres://… or unset WEB_CONCURRENCY\n',
    );
    expect(refused.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('WEB_CONCURRENCY with a worker that cannot start', () => {
  it('stops the gateway with exit code 1 rather than starting workers that fail again', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ag-cluster-nodb-'));
    try {
      // Nothing listens on port 1: the first worker's database cannot be reached.
      const env = { WEB_CONCURRENCY: '2', DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'info' };
      const stopped = await runTs('src/index.ts', [], env);
      expect(stopped.code).toBe(1);
      const output = stopped.stdout + stopped.stderr;
      expect(output).toMatch(/^error: .*ECONNREFUSED|^error: .*127\.0\.0\.1:1/m);
      expect(output).toMatch(/"msg":"worker 1 \(pid \d+\) exited with code 1 before it served: stopping the gateway"/);
      expect(output).not.toContain('worker 2');
      expect(output).not.toMatch(/^\s+at /m);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

const redisUp = await redisAnswers();
const severalProcesses =
  runsOrSaysWhy(
    serverUrl !== undefined,
    'cluster.test.ts: several gateway processes',
    'they need a PostgreSQL server (the embedded database belongs to one process): set TEST_DATABASE_URL',
  ) && runsOrSaysWhy(redisUp, 'cluster.test.ts: several gateway processes', `they share revocations through Redis, and none answers at ${redisUrl}`);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request on a connection of its own, so that a gateway of several workers hands each to the next one. */
function call(gateway: Gateway, method: string, path: string, options: { key?: string; json?: unknown; form?: ReturnType<typeof multipartBody> } = {}) {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: Buffer | undefined;
  if (options.json !== undefined) [headers['content-type'], body] = ['application/json', Buffer.from(JSON.stringify(options.json))];
  if (options.form) [headers['content-type'], body] = [options.form.contentType, options.form.payload];
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gateway.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = (answer: Answer) => JSON.parse(answer.body.toString());

/** Pids of the processes that logged a request to `route` (the request log's JSON lines carry their pid). */
function pidsServing(gateway: Gateway, route: string): Set<number> {
  const pids = new Set<number>();
  for (const line of gateway.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line);
    if (entry.msg === 'request' && entry.route === route) pids.add(entry.pid);
  }
  return pids;
}
const sweepsLogged = (gateway: Gateway) => gateway.output().match(/"msg":"upload sweep"/g)?.length ?? 0;

describe.runIf(severalProcesses)('two gateways, one of WEB_CONCURRENCY=2, on one PostgreSQL, one Redis and one bucket', () => {
  let emulator: S3Emulator;
  let database: TestDatabase;
  let single: Gateway;
  let pair: Gateway;
  let key: string;
  /** The pair's worker processes, once one was replaced. */
  let pairWorkers: number[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  // Revocations and rate limits of this file's gateways only.
  const redisPrefix = `agw-cluster-${randomBytes(4).toString('hex')}:`;

  function startGateway(env: Record<string, string>, storage: Record<string, string>): Promise<Gateway> {
    return startGatewayProcess(
      {
        LOG_LEVEL: 'info',
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        // Only the revocation announced through Redis can make another process forget a key this soon.
        KEY_CACHE_TTL_MS: '600000',
        SHUTDOWN_GRACE_MS: '120000',
        ...storage,
        ...env,
      },
      cleanups,
    );
  }
  beforeAll(async () => {
    emulator = await S3Emulator.start();
    database = await openTestDatabase();
    ({ key } = await createApiKey(database.db, { name: 'cluster test', scopes: [...allScopes] }));
    // Both gateways keep files under the same prefix of the one bucket.
    const storage = emulator.env();
    [single, pair] = await Promise.all([startGateway({}, storage), startGateway({ WEB_CONCURRENCY: '2' }, storage)]);
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await database?.close();
    await emulator?.dispose();
  });

  it('a file uploaded through one gateway is created as an asset through the other and downloads byte for byte from both', async () => {
    const content = randomBytes(768 * 1024).toString('hex');
    const uploaded = await call(single, 'POST', '/api/v1/uploads', { key, form: multipartBody([{ name: 'file', filename: 'notes.txt', content }]) });
    expect(uploaded.status, uploaded.body.toString()).toBe(201);
    const { file_path, checksum_sha256 } = json(uploaded).data;
    expect(checksum_sha256).toBe(createHash('sha256').update(content).digest('hex'));

    const created = await call(pair, 'POST', '/api/v1/assets', { key, json: { title: 'Shared notes', asset_type: 'document', file_path } });
    expect(created.status, created.body.toString()).toBe(201);
    const { id } = json(created).data;

    // Three downloads, on connections of their own: through the single process and each worker of the pair.
    for (const gateway of [single, pair, pair]) {
      const download = await call(gateway, 'GET', `/api/v1/assets/${id}/download`, { key });
      expect(download.status).toBe(200);
      expect(download.body.equals(Buffer.from(content)), 'the same bytes').toBe(true);
    }
    expect(json(await call(single, 'GET', `/api/v1/assets/${id}`, { key })).data.download_count).toBe(3);
  });

  it('a key revoked through one process is refused at once by every process, though each remembers keys for 10 minutes', async () => {
    const { key: reader, record } = await createApiKey(database.db, { name: 'reader', scopes: ['read:assets'] });
    // Each process remembers the key: two requests to the pair reach both its workers.
    for (const gateway of [single, pair, pair]) expect((await call(gateway, 'GET', '/api/v1/assets', { key: reader })).status).toBe(200);

    const revoked = await call(pair, 'POST', `/api/v1/keys/${record.prefix}/revoke`, { key });
    expect(revoked.status, revoked.body.toString()).toBe(200);
    const statuses = async () =>
      Promise.all([single, pair, pair, pair].map(async (gateway) => (await call(gateway, 'GET', '/api/v1/assets', { key: reader })).status));
    await expect.poll(statuses, { timeout: 5_000 }).toEqual([401, 401, 401, 401]);
  });

  it('WEB_CONCURRENCY=2 serves from two worker processes, and the three processes swept uploads once', async () => {
    const pids = /assets-gateway: 2 processes \(pids (\d+), (\d+)\) share the port/.exec(pair.output())!.slice(1).map(Number);
    expect(new Set([...pids, pair.child.pid]).size, 'two workers besides the primary').toBe(3);
    for (let i = 0; i < 4; i++) expect((await call(pair, 'GET', '/healthz')).status).toBe(200);
    await expect.poll(() => [...pidsServing(pair, '/healthz')].sort()).toEqual([...pids].sort());

    expect(sweepsLogged(single) + sweepsLogged(pair), `${single.output()}\n${pair.output()}`).toBe(1);
  });

  it('/metrics on WEB_CONCURRENCY=2 counts the requests of both workers, whichever worker answers the scrape', async () => {
    const listed = /^http_requests_total\{method="GET",route="\/api\/v1\/assets",status_code="200"\} (\d+)$/m;
    const scrape = async () => {
      const answer = await call(pair, 'GET', '/metrics', { key });
      expect(answer.status).toBe(200);
      return Number(listed.exec(answer.body.toString())?.[1] ?? 0);
    };
    const before = await scrape();
    // Each request on a connection of its own: the workers take turns.
    for (let i = 0; i < 6; i++) expect((await call(pair, 'GET', '/api/v1/assets', { key })).status).toBe(200);
    const after = await Promise.all([scrape(), scrape(), scrape(), scrape()]);
    expect(after).toEqual(Array(4).fill(before + 6));
  });

  it('two processes sweeping at once: one sweeps the period, the other leaves it to it', async () => {
    // A data dir of its own: a sweep removes day-old temporary files under it.
    const dataDir = await mkdtemp(join(tmpdir(), 'ag-cluster-sweep-'));
    const files = createFiles(loadConfig({ DATA_DIR: dataDir, ...emulator.env() }));
    const other: Database = await openDatabase({ databaseUrl: database.url, dataDir: 'memory://', databasePoolSize: 2 });
    try {
      await database.db.$executeRaw`DELETE FROM periodic_runs`;
      const both = await Promise.all([sweepUploadsOncePerPeriod(database.db, files), sweepUploadsOncePerPeriod(other.db, files)]);
      expect(both.filter((deleted) => deleted !== null)).toEqual([0]);
      expect(await sweepUploadsOncePerPeriod(other.db, files), 'the period is taken').toBeNull();
      // An hour later the period is free again.
      await database.db.$executeRaw`UPDATE periodic_runs SET started_at = started_at - interval '1 hour'`;
      expect(await sweepUploadsOncePerPeriod(other.db, files)).toBe(0);
    } finally {
      await other.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a worker killed while the gateway serves is replaced, and the gateway keeps serving', async () => {
    const [victim, survivor] = /assets-gateway: 2 processes \(pids (\d+), (\d+)\)/.exec(pair.output())!.slice(1).map(Number);
    process.kill(victim, 'SIGKILL');
    // A new worker starts in seconds; on a machine loaded by other suites it has taken over a
    // minute. What the gateway printed is shown if it does not come.
    const replaced = new RegExp(`"msg":"worker 3 \\(pid \\d+\\) serves in place of worker \\d+ \\(pid ${victim}\\)"`);
    await expect.poll(pair.output, { timeout: 10_000 }).toMatch(new RegExp(`"msg":"worker \\d+ \\(pid ${victim}\\) exited on SIGKILL: starting another"`));
    await expect
      .poll(() => replaced.test(pair.output()), { timeout: 150_000, message: 'no replacement worker served' })
      .toBe(true)
      .catch((error) => {
        throw new Error(`${error.message}\n${pair.output()}`);
      });
    for (let i = 0; i < 4; i++) expect((await call(pair, 'GET', '/api/v1/assets', { key })).status).toBe(200);
    const replacement = Number(/"msg":"worker 3 \(pid (\d+)\) serves/.exec(pair.output())![1]);
    pairWorkers = [survivor, replacement];
  }, 180_000);

  it('SIGTERM to every process (as Ctrl-C or systemd send it): an upload in flight on a worker completes with 201, then every worker and the primary exit 0', async () => {
    const boundary = 'clusterboundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="drain.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const half = Buffer.alloc(512 * 1024, 'a');
    const req = request({
      host: '127.0.0.1',
      port: pair.port,
      method: 'POST',
      path: '/api/v1/uploads',
      agent: false,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + 2 * half.length + tail.length,
        expect: '100-continue',
      },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
    });
    response.catch(() => {}); // awaited below; a cut upload fails it before then
    // `100 Continue` is written as the request reaches a worker's app: it is in flight there.
    await once(req, 'continue');
    await new Promise<void>((resolve) => req.write(head + half, () => resolve()));

    // Each worker hears of the stop twice, itself and through the primary: that is one stop, not "stop now".
    expect(pairWorkers).toHaveLength(2);
    pair.child.kill('SIGTERM');
    for (const pid of pairWorkers) process.kill(pid, 'SIGTERM');
    await expect.poll(pair.output, { timeout: 10_000 }).toContain('SIGTERM: stopping 2 workers');
    await expect.poll(pair.output, { timeout: 10_000 }).toContain('SIGTERM: draining, waiting for 1 request (1 upload)');
    req.end(Buffer.concat([half, Buffer.from(tail)]));
    const answer = await response;
    expect(answer.status, answer.body).toBe(201);
    expect(JSON.parse(answer.body).data.file_size).toBe(2 * half.length);

    const exit = await pair.exit;
    expect(exit.code, pair.output()).toBe(0);
    expect(pair.output()).toContain('every worker has stopped"');
    expect(pair.output()).not.toContain('not all of them cleanly');
    expect(pair.output()).not.toContain('again: stopping now');
  });
});
