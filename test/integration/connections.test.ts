import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createApiKey } from '../../src/auth/keys.ts';
import type { Scope } from '../../src/auth/scopes.ts';
import { loadConfig } from '../../src/config.ts';
import { lingerMs } from '../../src/http/connections.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { multipartBody } from '../helpers/files.ts';

/**
 * Connections against a real listening server: a request answered before its body arrived is
 * closed soon after its answer (and the client, still sending, reads that answer); an idle
 * keep-alive connection closes after CONNECTION_TIMEOUT_MS; an upload whose body does not end
 * properly leaves nothing behind.
 */
const uploadLimit = 1024 * 1024;
const connectionTimeoutMs = 3_000;
const keyRateLimit = 5;
/** How long after its answer a refused connection must be closed by the server. */
const closeBoundMs = lingerMs + 2_000;

let database: TestDatabase;
let app: FastifyInstance;
let port: number;
let dataDir: string;
/** The server's side of each connection, by the client's port: resolves with when it closed. */
const serverSockets = new Map<number, Promise<number>>();

beforeAll(async () => {
  database = await openTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'ag-connections-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    UPLOAD_LIMIT_BYTES: String(uploadLimit),
    GRAPHQL_UPLOAD_LIMIT_BYTES: String(uploadLimit),
    BODY_TIMEOUT_MS: '1500',
    CONNECTION_TIMEOUT_MS: String(connectionTimeoutMs),
    RATE_LIMIT_PER_MINUTE: String(keyRateLimit),
  });
  app = await buildApp({ config, db: database.db });
  app.server.on('connection', (socket) => serverSockets.set(socket.remotePort!, new Promise((resolve) => socket.once('close', () => resolve(Date.now())))));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const newKey = async (scopes: Scope[] = ['read:assets', 'write:assets']) =>
  (await createApiKey(database.db, { name: 'connections', scopes, workspace: `conn-${Math.random().toString(16).slice(2, 10)}` })).key;

const boundary = 'connectionsboundary';
const multipart = `multipart/form-data; boundary=${boundary}`;
const filePartHead = (name = 'file') =>
  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
const uploadOperations = JSON.stringify({ query: 'mutation($file: File!) { uploadFile(file: $file) { filePath } }', variables: { file: null } });
/** The GraphQL multipart request's fields, before its file part (named 0). */
const graphqlFields =
  `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${uploadOperations}\r\n` +
  `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n`;

function head(method: string, path: string, headers: Record<string, string | number>) {
  return `${method} ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/**
 * Connects; resolves once the server has the connection too, with the promise of the server's
 * close. Half-open: the client does not end its side when the server ends its own, so that only
 * the server can close the connection.
 */
async function open() {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {}); // the reset a write meets once the server has closed
  await once(socket, 'connect');
  await expect.poll(() => serverSockets.has(socket.localPort!)).toBe(true);
  return { socket, serverClosed: serverSockets.get(socket.localPort!)! };
}

interface Exchange {
  raw: string;
  status: number;
  /** When the first byte of the answer arrived, and when the server closed its side (null: still open at the end). */
  answeredAt: number;
  serverClosedAt: number | null;
}

/**
 * Sends `start`, then keeps sending one byte every 250 ms, as a client with a large body still
 * on its way: until the server closes the connection, or for at most `giveUpMs`.
 */
async function sendAndKeepSending(start: string | Buffer, giveUpMs = 15_000): Promise<Exchange> {
  const { socket, serverClosed } = await open();
  let raw = '';
  let answeredAt = 0;
  socket.on('data', (chunk) => {
    answeredAt ||= Date.now();
    raw += chunk;
  });
  socket.write(start);
  const trickle = setInterval(() => socket.writable && socket.write('x'), 250);
  const serverClosedAt = await Promise.race([serverClosed, sleep(giveUpMs, null)]);
  clearInterval(trickle);
  socket.destroy();
  return { raw, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), answeredAt, serverClosedAt };
}

const headersOf = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();

describe('a request answered before its body arrived', () => {
  it('gets Connection: close, and the server closes the connection soon after the answer, on every early refusal', async () => {
    const readOnlyKey = await newKey(['read:assets']);
    const limitedKey = await newKey();
    for (let i = 0; i < keyRateLimit; i++) {
      const response = await app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${limitedKey}` } });
      expect(response.statusCode).toBe(200);
    }
    // A key of its own per request: RATE_LIMIT_PER_MINUTE is small here.
    const withKey = async (key?: string) => ({ Authorization: `Bearer ${key ?? (await newKey())}` });
    const json = { 'Content-Type': 'application/json', 'Content-Length': 100_000 };
    const upload = { 'Content-Type': multipart, 'Content-Length': 100_000_000 };
    const graphqlUpload = { ...upload, 'GraphQL-Require-Preflight': 1 };
    const overLimit = Buffer.alloc(uploadLimit + 100_000, 'x');
    const cases: { name: string; status: number; start: string | Buffer }[] = [
      { name: 'no key, /graphql', status: 401, start: `${head('POST', '/graphql', { ...json, 'Content-Length': 100_000_000 })}{"query":` },
      { name: 'no key, REST upload', status: 401, start: head('POST', '/api/v1/uploads', upload) + filePartHead() },
      { name: 'no key, GraphQL upload', status: 401, start: head('POST', '/graphql', graphqlUpload) + graphqlFields + filePartHead('0') },
      { name: 'no key, REST create', status: 401, start: `${head('POST', '/api/v1/assets', json)}{"title":` },
      { name: 'rate limited', status: 429, start: `${head('POST', '/api/v1/assets', { ...json, ...(await withKey(limitedKey)) })}{"title":` },
      {
        name: 'upload without write:assets',
        status: 403,
        start: head('POST', '/api/v1/uploads', { ...upload, ...(await withKey(readOnlyKey)) }) + filePartHead(),
      },
      { name: 'an upload to no route', status: 404, start: head('POST', '/api/v1/nothing-here', { ...upload, ...(await withKey()) }) + filePartHead() },
      {
        name: 'declared body over BODY_LIMIT_BYTES',
        status: 413,
        start: head('POST', '/api/v1/assets', { ...json, 'Content-Length': 100_000_000, ...(await withKey()) }),
      },
      {
        name: 'REST upload over UPLOAD_LIMIT_BYTES',
        status: 413,
        start: Buffer.concat([Buffer.from(head('POST', '/api/v1/uploads', { ...upload, ...(await withKey()) }) + filePartHead()), overLimit]),
      },
      {
        name: 'GraphQL upload over GRAPHQL_UPLOAD_LIMIT_BYTES',
        status: 413,
        start: Buffer.concat([
          Buffer.from(head('POST', '/graphql', { ...graphqlUpload, ...(await withKey()) }) + graphqlFields + filePartHead('0')),
          overLimit,
        ]),
      },
      {
        name: 'REST create in a media type no parser takes',
        status: 415,
        start: `${head('POST', '/api/v1/assets', { ...json, 'Content-Type': 'application/xml', ...(await withKey()) })}<ass`,
      },
      {
        name: 'REST upload in a media type no parser takes',
        status: 415,
        start: `${head('POST', '/api/v1/uploads', { ...json, 'Content-Type': 'application/xml', ...(await withKey()) })}<fil`,
      },
      {
        name: '/graphql in a media type no parser takes',
        status: 415,
        start: `${head('POST', '/graphql', { ...json, 'Content-Type': 'application/xml', ...(await withKey()) })}<que`,
      },
      { name: 'a URL that does not decode', status: 400, start: `${head('POST', '/api/v1/assets/%E0%A4%A/restore', { ...json, ...(await withKey()) })}{` },
      {
        name: 'a path parameter over 100 characters',
        status: 414,
        start: `${head('POST', `/api/v1/assets/${'a'.repeat(101)}/restore`, { ...json, ...(await withKey()) })}{`,
      },
      {
        name: 'REST upload whose file part is not named file',
        status: 400,
        start: head('POST', '/api/v1/uploads', { ...upload, ...(await withKey()) }) + filePartHead('other'),
      },
      { name: 'a body slower than BODY_TIMEOUT_MS', status: 408, start: `${head('POST', '/api/v1/assets', { ...json, ...(await withKey()) })}{"title":` },
    ];
    const exchanges = await Promise.all(cases.map((c) => sendAndKeepSending(c.start)));
    const seen = cases.map((c, i) => {
      const { raw, status, answeredAt, serverClosedAt } = exchanges[i];
      return {
        name: c.name,
        status,
        connectionClose: headersOf(raw).includes('\r\nconnection: close'),
        closedWithinBound: serverClosedAt !== null && serverClosedAt - answeredAt <= closeBoundMs,
      };
    });
    expect(seen).toEqual(cases.map((c) => ({ name: c.name, status: c.status, connectionClose: true, closedWithinBound: true })));
  });

  it('reaches a client that keeps sending its body (Node http.request): it reads the 413, then the connection closes', async () => {
    const key = await newKey();
    const size = 20 * 1024 * 1024;
    const sent = { bytes: 0 };
    const answer = await new Promise<{ status: number; body: string; headers: Record<string, unknown>; sentBeforeAnswer: number; localPort: number }>(
      (resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/uploads',
          headers: { authorization: `Bearer ${key}`, 'content-type': multipart, 'content-length': size },
        });
        req.on('error', (error) => reject(new Error(`the client saw ${error.message} before any answer`)));
        req.on('response', (res) => {
          const sentBeforeAnswer = sent.bytes;
          req.removeAllListeners('error');
          req.on('error', () => {}); // the connection closing under the rest of the body
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, sentBeforeAnswer, localPort: req.socket!.localPort! }));
        });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        req.write(filePartHead());
        const pump = () => {
          while (sent.bytes < size - chunk.length && !req.destroyed) {
            sent.bytes += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
        };
        pump();
      },
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: 'Payload too large', message: `The file is larger than ${uploadLimit} bytes` });
    expect(answer.headers.connection).toBe('close');
    // The answer came while the body was still being sent, and the server closed the connection after it.
    expect(answer.sentBeforeAnswer).toBeLessThan(size);
    const closedAt = await Promise.race([serverSockets.get(answer.localPort)!, sleep(closeBoundMs, null)]);
    expect(closedAt).not.toBeNull();
  });

  it('leaves a connection whose requests were read in full open for the next request', async () => {
    const key = await newKey();
    const { socket, serverClosed } = await open();
    let raw = '';
    socket.on('data', (chunk) => (raw += chunk));
    const body = JSON.stringify({ title: 'Kept alive', asset_type: 'pdf' });
    socket.write(
      `${head('POST', '/api/v1/assets', { 'Content-Type': 'application/json', 'Content-Length': body.length, Authorization: `Bearer ${key}` })}${body}`,
    );
    await expect.poll(() => raw).toMatch(/\r\n\r\n\{.*\}$/);
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    expect(headersOf(raw)).toContain('connection: keep-alive');
    raw = '';
    socket.write(head('GET', '/healthz', {}));
    await expect.poll(() => raw).toMatch(/\r\n\r\n\{.*\}$/);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
    await serverClosed;
  });
});

describe('an idle keep-alive connection', () => {
  it('is closed by the server after CONNECTION_TIMEOUT_MS, as the Keep-Alive header says', async () => {
    const { socket, serverClosed } = await open();
    let raw = '';
    socket.on('data', (chunk) => (raw += chunk));
    socket.write(head('GET', '/healthz', {}));
    await expect.poll(() => raw).toMatch(/\r\n\r\n\{.*\}$/);
    expect(headersOf(raw)).toContain(`keep-alive: timeout=${connectionTimeoutMs / 1000}`);
    const closedAt = await Promise.race([serverClosed, sleep(connectionTimeoutMs + 3_000, null)]);
    socket.destroy();
    expect(closedAt, `still open ${connectionTimeoutMs + 3_000} ms after its answer`).not.toBeNull();
  });
});

async function storedFiles(): Promise<string[]> {
  const root = join(dataDir, 'uploads');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
}
async function storedBytes(): Promise<number> {
  let total = 0;
  for (const file of await storedFiles()) total += (await stat(join(dataDir, 'uploads', file)).catch(() => ({ size: 0 }))).size;
  return total;
}

describe('an upload whose body does not end properly', () => {
  const fileBytes = 900_000;
  /** A body with the whole file and the boundary after it, but no closing boundary (`--`). */
  const unfinished = (face: 'rest' | 'graphql') =>
    `${face === 'rest' ? filePartHead() : graphqlFields + filePartHead('0')}${'x'.repeat(fileBytes)}\r\n--${boundary}`;
  const path = { rest: '/api/v1/uploads', graphql: '/graphql' };
  const uploadHead = (face: 'rest' | 'graphql', key: string, length: number | 'chunked') =>
    head('POST', path[face], {
      'Content-Type': multipart,
      ...(length === 'chunked' ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': length }),
      'GraphQL-Require-Preflight': 1,
      Authorization: `Bearer ${key}`,
    });

  async function expectNothingStored(before: { files: string[]; rows: number }) {
    await expect.poll(() => app.drain.inFlight().requests).toBe(0);
    expect(await storedFiles()).toEqual(before.files);
    expect(await database.db.upload.count()).toBe(before.rows);
  }
  const snapshot = async () => ({ files: await storedFiles(), rows: await database.db.upload.count() });

  it('rest: a form with a second file after the file is refused, naming the limit, and stores nothing', async () => {
    const before = await snapshot();
    const { payload, contentType } = multipartBody([
      { name: 'file', filename: 'one.txt', content: 'one' },
      { name: 'another', filename: 'two.txt', content: 'two' },
    ]);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads',
      payload,
      headers: { 'content-type': contentType, authorization: `Bearer ${await newKey()}` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'Validation failed',
      message: "An upload's form holds one file, named file, and at most 10 fields",
      field: 'file',
    });
    await expectNothingStored(before);
  });

  for (const face of ['rest', 'graphql'] as const) {
    it(`${face}: a complete request whose form lacks its closing boundary gets 400 and stores nothing`, async () => {
      const before = await snapshot();
      const key = await newKey();
      const body = unfinished(face);
      for (const framing of ['length', 'chunked'] as const) {
        const { socket } = await open();
        let raw = '';
        socket.on('data', (chunk) => (raw += chunk));
        if (framing === 'length') socket.write(uploadHead(face, key, Buffer.byteLength(body)) + body);
        else socket.write(`${uploadHead(face, key, 'chunked')}${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
        await expect.poll(() => raw, { timeout: 15_000 }).toMatch(/\r\n\r\n./);
        socket.destroy();
        expect(raw, framing).toMatch(/^HTTP\/1\.1 400 /);
        if (face === 'rest') {
          expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'Validation failed', field: 'file' });
        }
      }
      await expectNothingStored(before);
    });

    for (const cut of ['destroy', 'end'] as const) {
      it(`${face}: a connection ${cut === 'destroy' ? 'reset' : 'half-closed'} after the file but before the closing boundary stores nothing`, async () => {
        const before = await snapshot();
        const bytesBefore = await storedBytes();
        const key = await newKey();
        const body = unfinished(face);
        const { socket, serverClosed } = await open();
        socket.write(uploadHead(face, key, Buffer.byteLength(body) + 1000) + body);
        // Cut once the server has the request; REST: once the file's bytes are on disk.
        if (face === 'rest') await expect.poll(storedBytes, { timeout: 15_000 }).toBeGreaterThanOrEqual(bytesBefore + fileBytes);
        else await expect.poll(() => app.drain.inFlight().uploads, { timeout: 15_000 }).toBe(1);
        if (cut === 'destroy') socket.destroy();
        else socket.end();
        await serverClosed;
        socket.destroy();
        await expectNothingStored(before);
      });
    }
  }
});
