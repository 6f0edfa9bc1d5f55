import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createApiKey } from '../../src/auth/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * Slow clients against a real listening server: an unfinished body gets its 408 in the face's
 * shape after BODY_TIMEOUT_MS and the connection is closed; unfinished headers get Node's 408
 * after HEADERS_TIMEOUT_MS; meanwhile the server answers everyone else.
 */
let database: TestDatabase;
let app: FastifyInstance;
let base: string;
let port: number;
let key: string;
let dataDir: string;

beforeAll(async () => {
  database = await openTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'ag-slow-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, BODY_TIMEOUT_MS: '700', UPLOAD_BODY_TIMEOUT_MS: '2500', HEADERS_TIMEOUT_MS: '1000' });
  app = await buildApp({ config, db: database.db });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  key = (await createApiKey(database.db, { name: 'slow', scopes: ['read:assets', 'write:assets'], workspace: 'slow' })).key;
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Sends `head` (and never the rest), then resolves with everything the server wrote once it closes the connection. */
function sendAndWait(head: string): Promise<{ raw: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let raw = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    socket.on('data', (chunk) => (raw += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ raw, elapsedMs: Date.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after 15 s; got ${raw}`));
    }, 15_000);
  });
}

const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe('slow clients', () => {
  it('an unfinished body gets 408 in the face shape and the connection closes, while others are served', async () => {
    const rest = sendAndWait(
      `POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":`,
    );
    const graphql = sendAndWait(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":`,
    );
    // While both hang, the server answers at once.
    const served = await fetch(`${base}/api/v1/assets`, { headers: { authorization: `Bearer ${key}` } });
    expect(served.status).toBe(200);

    const restAnswer = await rest;
    expect(restAnswer.raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(restAnswer.raw.toLowerCase()).toContain('connection: close');
    expect(bodyOf(restAnswer.raw)).toEqual({ error: 'Request timeout', message: 'The request body did not arrive within 700 ms' });
    expect(restAnswer.elapsedMs).toBeLessThan(5_000);

    const graphqlAnswer = await graphql;
    expect(graphqlAnswer.raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(graphqlAnswer.raw)).toEqual({
      errors: [{ message: 'The request body did not arrive within 700 ms', extensions: { code: 'REQUEST_TIMEOUT' } }],
    });
  });

  it('an upload that takes longer than BODY_TIMEOUT_MS but keeps sending is received whole', async () => {
    const boundary = 'slowupload';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const line = 'a slow line of text\n';
    const lines = 12;
    // Sent over ~1.2 s, against a BODY_TIMEOUT_MS of 700 ms: uploads have UPLOAD_BODY_TIMEOUT_MS (2.5 s here).
    const body = async function* () {
      yield new TextEncoder().encode(head);
      for (let i = 0; i < lines; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield new TextEncoder().encode(line);
      }
      yield new TextEncoder().encode(tail);
    };
    const response = await fetch(`${base}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Readable.toWeb(Readable.from(body())),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(201);
    expect((await response.json()).data.file_size).toBe(line.length * lines);
  });

  it('an upload that stops arriving gets 408 in the face shape after UPLOAD_BODY_TIMEOUT_MS, and leaves no file', async () => {
    const storedFiles = async () => (await readdir(join(dataDir, 'uploads'), { recursive: true }).catch(() => [])).sort();
    const before = await storedFiles();
    const boundary = 'stalled';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${'x'.repeat(1000)}`;
    const head = (path: string, extra = '') =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n${extra}\r\n`;
    // Stalled inside the file, and before the file part (inside an earlier field).
    const stalledBodies = [part, `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhal`];
    const rests = await Promise.all(stalledBodies.map((body) => sendAndWait(`${head('/api/v1/uploads')}${body}`)));
    for (const rest of rests) {
      expect(rest.raw).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyOf(rest.raw)).toEqual({ error: 'Request timeout', message: 'The request body did not arrive within 2500 ms' });
      expect(rest.elapsedMs).toBeGreaterThanOrEqual(2400);
    }

    const operations = JSON.stringify({ query: 'mutation($file: File!) { uploadFile(file: $file) { filePath } }', variables: { file: null } });
    const fields = [
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n`,
    ];
    const graphql = await sendAndWait(`${head('/graphql', 'GraphQL-Require-Preflight: 1\r\n')}${fields.join('')}${part.replace('name="file"', 'name="0"')}`);
    expect(graphql.raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(graphql.raw).errors[0]).toMatchObject({ message: 'The request body did not arrive within 2500 ms', extensions: { code: 'REQUEST_TIMEOUT' } });

    expect(await storedFiles()).toEqual(before);
  });

  it('a body without a valid key is never waited for: 401 at once', async () => {
    const answer = await Promise.race([
      sendAndWait('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{"query":'),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('waited for the body')), 600)),
    ]);
    expect(answer.raw).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('unfinished headers get 408 and the connection closes', async () => {
    const answer = await sendAndWait(`GET /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n`);
    expect(answer.raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.elapsedMs).toBeLessThan(5_000);
  });
});
