import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { type ClientRequest, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.ts';
import { type Finished, finished, freePort, startTs, waitForOutput } from '../helpers/process.ts';

/**
 * Stopping the server process with an upload in flight: SIGTERM lets it finish (while /readyz
 * answers 503 and no new connection is accepted) and the process exits 0; an upload still
 * arriving at SHUTDOWN_GRACE_MS is cut and leaves nothing stored; SIGTERM again stops at once.
 * On PostgreSQL when TEST_DATABASE_URL is set (the process gets a database of its own), on
 * embedded PGlite in its DATA_DIR otherwise.
 */
interface Server {
  child: ChildProcess;
  exit: Promise<Finished>;
  port: number;
  key: string;
  dataDir: string;
  /** Everything the process printed so far (JSON log lines at LOG_LEVEL=info). */
  output(): string;
  /** Upload rows in the process's database, read once the process has exited. */
  uploadRows(): Promise<number>;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startServer(env: Record<string, string>): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ag-shutdown-'));
  const database: TestDatabase | undefined = serverUrl ? await openTestDatabase() : undefined;
  const port = await freePort();
  const child = startTs('src/index.ts', [], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', DATABASE_URL: database?.url, ...env });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  const exit = finished(child);
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exit;
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const started = await waitForOutput(child, /assets-gateway: GraphQL/);
  const key = /^\s+(agk_\S+)$/m.exec(started)![1];
  return {
    child,
    exit,
    port,
    key,
    dataDir,
    output: () => output,
    uploadRows: async () => {
      if (database) return database.db.upload.count();
      const embedded = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolSize: 1 });
      try {
        return await embedded.db.upload.count();
      } finally {
        await embedded.close();
      }
    },
  };
}

/** Every file under DATA_DIR/uploads (partial ones in .tmp included), with its size. */
async function storedFiles(dataDir: string) {
  const root = join(dataDir, 'uploads');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(files.map(async (path) => ({ path: path.slice(root.length + 1), size: (await stat(path)).size })));
}
const storedBytes = async (dataDir: string) => (await storedFiles(dataDir)).reduce((sum, file) => sum + file.size, 0);

const boundary = 'shutdownboundary';
const fileBytes = 2 * 1024 * 1024;

interface Upload {
  req: ClientRequest;
  /** Sends the rest of the file and the closing boundary. */
  finish(): void;
  response: Promise<{ status: number; body: string; connection: string | undefined }>;
}

/**
 * Starts a REST upload and sends its first half; resolves once the server has the request (its
 * `100 Continue`, written as the request is handed to the app, has arrived) and the half is sent.
 */
async function startUpload(server: Server): Promise<Upload> {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="drain.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const half = Buffer.alloc(fileBytes / 2, 'x');
  const req = request({
    host: '127.0.0.1',
    port: server.port,
    method: 'POST',
    path: '/api/v1/uploads',
    headers: {
      authorization: `Bearer ${server.key}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + fileBytes + tail.length,
      expect: '100-continue',
    },
  });
  const response = new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
  });
  response.catch(() => {}); // awaited (or expected to fail) by each test
  await once(req, 'continue');
  await new Promise<void>((resolve) => req.write(head + half, () => resolve()));
  return { req, response, finish: () => req.end(Buffer.concat([half, Buffer.from(tail)])) };
}

describe('SIGTERM with an upload in flight', () => {
  it('lets it finish with 201 while /readyz answers 503, idle connections close and new ones are refused, then exits 0', { timeout: 300_000 }, async () => {
    const server = await startServer({ SHUTDOWN_GRACE_MS: '120000' });
    // A connection in the middle of a request's headers is not idle: it is kept, and its request
    // (sent after the signal) shows what a stopping process answers.
    const probe = connect(server.port, '127.0.0.1');
    let probeAnswer = '';
    probe.on('data', (chunk) => (probeAnswer += chunk));
    probe.on('error', () => {});
    await new Promise<void>((resolve) => probe.write('GET /readyz HTTP/1.1\r\nHost: x\r\n', () => resolve()));
    // A keep-alive connection between requests: closed by the stop at once.
    const idle = connect(server.port, '127.0.0.1');
    let idleAnswer = '';
    idle.on('data', (chunk) => (idleAnswer += chunk));
    idle.on('error', () => {});
    const idleClosed = once(idle, 'close');
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect.poll(() => idleAnswer).toMatch(/\r\n\r\n\{.*\}$/);
    const upload = await startUpload(server);

    server.child.kill('SIGTERM');
    await expect
      .poll(server.output, { timeout: 10_000 })
      .toContain('SIGTERM: draining, waiting for 1 request (1 upload) up to 120 s; send SIGTERM again to stop now');
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
    expect(await Promise.race([idleClosed.then(() => 'closed'), sleep(10_000, 'still open')])).toBe('closed');
    probe.write('\r\n');
    await expect.poll(() => probeAnswer, { timeout: 10_000 }).toMatch(/\r\n\r\n\{.*\}$/);
    expect(probeAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(probeAnswer.toLowerCase()).toContain('connection: close');
    expect(probeAnswer).toContain('{"status":"stopping"}');

    upload.finish();
    const answer = await upload.response;
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body).data.file_size).toBe(fileBytes);
    expect(answer.connection).toBe('close');
    expect((await server.exit).code).toBe(0);
    expect(await server.uploadRows()).toBe(1);
  });
});

describe('an upload still arriving when the stop cuts it', () => {
  it('at SHUTDOWN_GRACE_MS: is cut, the process exits, and no file or upload row is left', { timeout: 300_000 }, async () => {
    const server = await startServer({ SHUTDOWN_GRACE_MS: '1500' });
    const upload = await startUpload(server);
    await expect.poll(() => storedBytes(server.dataDir), { timeout: 10_000 }).toBeGreaterThanOrEqual(fileBytes / 2);

    server.child.kill('SIGTERM');
    await expect(upload.response).rejects.toThrow();
    const exit = await server.exit;
    expect(exit.code).toBe(1);
    expect(server.output()).toContain('SIGTERM: draining, waiting for 1 request (1 upload) up to 1.5 s');
    expect(server.output()).toContain('SIGTERM: cut 1 request (1 upload) still running after 1.5 s');
    expect(await storedFiles(server.dataDir)).toEqual([]);
    expect(await server.uploadRows()).toBe(0);
  });

  it('at a second SIGTERM: stops at once, long before the grace is over, and leaves nothing', { timeout: 300_000 }, async () => {
    const graceMs = 120_000;
    const server = await startServer({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const upload = await startUpload(server);
    await expect.poll(() => storedBytes(server.dataDir), { timeout: 10_000 }).toBeGreaterThanOrEqual(fileBytes / 2);

    server.child.kill('SIGTERM');
    await expect.poll(server.output, { timeout: 10_000 }).toContain('send SIGTERM again to stop now');
    const secondAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await Promise.race([server.exit, sleep(graceMs / 4, null)]);
    expect(exit, 'still running long after the second SIGTERM').not.toBeNull();
    console.log(`exited ${Date.now() - secondAt} ms after the second SIGTERM`);
    expect(exit!.code).toBe(1);
    await expect(upload.response).rejects.toThrow();
    expect(server.output()).toContain('SIGTERM again: stopping now');
    expect(server.output()).toContain('SIGTERM: cut 1 request (1 upload) at once');
    expect(await storedFiles(server.dataDir)).toEqual([]);
    expect(await server.uploadRows()).toBe(0);
  });
});
