import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { sweepUploads } from '../../src/domain/files/uploads.ts';
import { useTestApp } from '../helpers/app.ts';
import { makePng, multipartBody } from '../helpers/files.ts';
import { freePort, runTs } from '../helpers/process.ts';
import { rest } from '../helpers/rest.ts';
import { S3Emulator } from '../helpers/s3.ts';

/**
 * What only an object store does: multipart uploads that must not outlive a failed put, a store
 * that stops answering while the gateway runs, and a bucket that is missing at start. Everything
 * else the files feature does runs on both stores in the files tests.
 */

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const mebibyte = 1024 * 1024;
// Over one part (5 MiB), so that a refused or cut upload has begun a multipart upload.
const uploadLimit = 7 * mebibyte;
const t = useTestApp({ UPLOAD_LIMIT_BYTES: String(uploadLimit), EXTRACT_TIMEOUT_MS: '60000' }, 's3');

const serviceUnavailable = { error: 'Service unavailable', message: 'File storage is unavailable at the moment; try again later' };

function restUpload(key: string, content: Buffer | string, filename = 'file.bin') {
  const { payload, contentType } = multipartBody([{ name: 'file', filename, content }]);
  return t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, payload });
}

async function graphqlUpload(key: string, content: Buffer | string) {
  const query = 'mutation($file: File!) { uploadFile(file: $file) { filePath } }';
  const { payload, contentType } = multipartBody([
    { name: 'operations', content: JSON.stringify({ query, variables: { file: null } }) },
    { name: 'map', content: JSON.stringify({ 0: ['variables.file'] }) },
    { name: '0', filename: 'file.bin', content },
  ]);
  const response = await t.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, payload });
  return { status: response.statusCode, ...response.json() };
}

async function graphql(key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    payload: { query, variables },
  });
  return { status: response.statusCode, ...response.json() };
}

/** The app's address on a real socket, listening from the first call on. */
async function listening(): Promise<number> {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  return (t.app.server.address() as AddressInfo).port;
}

/** Polls until nothing is left in the store but `expected`: a cut connection is noticed by the server a moment later. */
async function storedFilesSettle(expected: string[]) {
  await expect.poll(() => t.storedFiles(), { timeout: 10_000, interval: 100 }).toEqual(expected);
}

describe('an upload that does not finish leaves no object and no unfinished multipart upload', () => {
  it('refused over the limit after its first part (REST 413)', async () => {
    const key = await t.newKey();
    const before = await t.storedFiles();
    const response = await restUpload(key, Buffer.alloc(uploadLimit + mebibyte, 'a'));
    expect({ status: response.statusCode, body: response.json() }).toEqual({
      status: 413,
      body: { error: 'Payload too large', message: `The file is larger than ${uploadLimit} bytes` },
    });
    expect(await t.storedFiles()).toEqual(before);
    expect(await t.s3!.unfinishedUploads('')).toEqual([]);
  });

  it('cut by its client after its first part', async () => {
    const key = await t.newKey();
    const before = await t.storedFiles();
    const port = await listening();
    const boundary = 'cut-short';
    await new Promise<void>((resolve) => {
      const req = request({
        port,
        method: 'POST',
        path: '/api/v1/uploads',
        headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': uploadLimit },
      });
      req.on('error', () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`);
      req.write(Buffer.alloc(6 * mebibyte, 'x'), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 500),
      );
    });
    await storedFilesSettle(before);
    expect(await t.s3!.unfinishedUploads('')).toEqual([]);
    expect(await t.database.db.upload.count({ where: { originalName: 'cut.bin' } })).toBe(0);
  });

  it('the same size, finished, is stored whole as a multipart upload', async () => {
    const key = await t.newKey();
    const content = Buffer.alloc(6 * mebibyte, 'y');
    const response = await restUpload(key, content);
    expect(response.statusCode).toBe(201);
    const upload = response.json().data;
    expect(upload).toMatchObject({ file_size: content.length, checksum_sha256: sha256(content) });
    expect(await t.s3!.unfinishedUploads('')).toEqual([]);
  });
});

describe('while the store does not answer', () => {
  let key: string;
  let text: { id: string; file_path: string };
  let picture: { id: string };
  let pending: string;

  beforeAll(async () => {
    key = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries']);
    const upload = async (content: Buffer | string, filename: string) => (await restUpload(key, content, filename)).json().data.file_path as string;
    text = (
      await rest(t.app, key, 'post', '/api/v1/assets', {
        json: { title: 'Words', asset_type: 'document', file_path: await upload('words kept in the bucket', 'words.txt') },
      })
    ).body.data;
    picture = (
      await rest(t.app, key, 'post', '/api/v1/assets', {
        json: { title: 'Picture', asset_type: 'image', file_path: await upload(await makePng(64, 64), 'p.png') },
      })
    ).body.data;
    pending = await upload('not attached yet', 'pending.txt');
    await t.s3!.stop();
  });
  afterAll(async () => {
    // Whatever a failed test left, the emulator answers again for the tests after it.
    await t.s3!.restart();
  });

  it('uploads and downloads answer 503 on both faces, with Retry-After on REST, and store nothing', async () => {
    const uploadsBefore = await t.database.db.upload.count();
    const restRefusal = await restUpload(key, 'while the store is down');
    expect({ status: restRefusal.statusCode, body: restRefusal.json(), retryAfter: restRefusal.headers['retry-after'] }).toEqual({
      status: 503,
      body: serviceUnavailable,
      retryAfter: '30',
    });
    expect(await graphqlUpload(key, 'while the store is down')).toMatchObject({
      data: null,
      errors: [{ message: serviceUnavailable.message, extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
    // Over a real connection, a file of several parts whose client is still sending when the store fails: the client is not blamed for it.
    const port = await listening();
    const socketRefusal = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const boundary = 'still-sending';
      const req = request({
        port,
        method: 'POST',
        path: '/api/v1/uploads',
        headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': uploadLimit },
      });
      req.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          req.destroy();
          resolve({ status: response.statusCode, body });
        });
      });
      req.on('error', reject);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.bin"\r\n\r\n`);
      req.write(Buffer.alloc(6 * mebibyte, 'z')); // and no more: the rest of the file is still to come
    });
    expect({ status: socketRefusal.status, body: JSON.parse(socketRefusal.body) }).toEqual({ status: 503, body: serviceUnavailable });
    expect(await t.database.db.upload.count()).toBe(uploadsBefore);

    for (const [method, url] of [
      ['GET', `/api/v1/assets/${text.id}/download`],
      ['HEAD', `/api/v1/assets/${text.id}/download`],
      ['GET', `/api/v1/assets/${text.id}/download?range`],
      ['GET', `/api/v1/assets/${picture.id}/thumbnail`],
    ] as const) {
      const headers = { authorization: `Bearer ${key}`, ...(url.endsWith('?range') ? { range: 'bytes=0-3' } : {}) };
      const response = await t.app.inject({ method, url: url.replace('?range', ''), headers });
      expect({ method, url, status: response.statusCode, retryAfter: response.headers['retry-after'] }).toEqual({ method, url, status: 503, retryAfter: '30' });
      if (method === 'GET') expect(response.json()).toEqual(serviceUnavailable);
      // Nothing of the file's headers: this is no download.
      expect(response.headers['content-disposition']).toBeUndefined();
    }
    // Creating an asset from an upload reads its bytes: 503 too, and the upload stays free to attach.
    const create = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: { title: 'Later', asset_type: 'document', file_path: pending },
    });
    expect({ status: create.statusCode, body: create.json() }).toEqual({ status: 503, body: serviceUnavailable });
    expect(
      await graphql(key, 'mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }', {
        input: { title: 'Later', assetType: 'DOCUMENT', filePath: pending },
      }),
    ).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    expect(await t.database.db.upload.findFirst({ where: { filePath: pending }, select: { assetId: true } })).toEqual({ assetId: null });
    // Nothing was counted as downloaded.
    expect(await t.database.db.asset.findUnique({ where: { id: text.id }, select: { downloadCount: true } })).toEqual({ downloadCount: 0 });
  });

  it('/readyz says the storage is unreachable; everything that touches no file byte goes on', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect({ status: ready.statusCode, body: ready.json() }).toEqual({ status: 503, body: { status: 'unavailable', storage: 'unreachable' } });

    expect(await rest(t.app, key, 'get', '/api/v1/assets')).toMatchObject({ status: 200, body: { pagination: { total: 2 } } });
    expect(await rest(t.app, key, 'get', `/api/v1/assets/${text.id}`)).toMatchObject({ status: 200, body: { data: { id: text.id } } });
    const link = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'A link', asset_type: 'link', external_url: 'https://example.com' } });
    expect(link.status).toBe(201);
    expect(await rest(t.app, key, 'patch', `/api/v1/assets/${text.id}`, { json: { title: 'Words, renamed' } })).toMatchObject({ status: 200 });
    expect(await rest(t.app, key, 'delete', `/api/v1/assets/${link.body.data.id}`)).toMatchObject({ status: 200 });
    const library = await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'Shelf' } });
    expect(library.status).toBe(201);
    expect(await graphql(key, '{ assets { items { id title } } }')).toMatchObject({
      data: { assets: { items: expect.arrayContaining([{ id: text.id, title: 'Words, renamed' }]) } },
    });
  });

  it('the sweep of unattached uploads deletes nothing, rows included, until the store answers', async () => {
    const files = createFiles(loadConfig(t.env));
    const later = new Date(Date.now() + 25 * 3600_000);
    expect(await sweepUploads(t.database.db, files, later)).toBe(0);
    expect(await t.database.db.upload.count({ where: { filePath: pending } })).toBe(1);
  });

  it('when the store answers again, uploads and downloads work without a restart', async () => {
    await t.s3!.restart();
    expect(await t.app.inject({ method: 'GET', url: '/readyz' })).toMatchObject({ statusCode: 200 });
    const uploaded = await restUpload(key, 'after the store came back', 'back.txt');
    expect(uploaded.statusCode).toBe(201);
    const created = await rest(t.app, key, 'post', '/api/v1/assets', {
      json: { title: 'Back', asset_type: 'document', file_path: uploaded.json().data.file_path },
    });
    expect(created.status).toBe(201);
    const download = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${created.body.data.id}/download`, headers: { authorization: `Bearer ${key}` } });
    expect({ status: download.statusCode, body: download.body }).toEqual({ status: 200, body: 'after the store came back' });
    const old = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${text.id}/download`, headers: { authorization: `Bearer ${key}` } });
    expect({ status: old.statusCode, body: old.body }).toEqual({ status: 200, body: 'words kept in the bucket' });
    expect((await graphqlUpload(key, 'over GraphQL too')).data.uploadFile.filePath).toMatch(/^\/uploads\//);

    // The sweep deletes the expired upload's object and row now.
    const pendingKey = `files/${pending.slice('/uploads/'.length, -'.txt'.length)}`;
    expect(await t.storedFiles()).toContain(pendingKey);
    const files = createFiles(loadConfig(t.env));
    expect(await sweepUploads(t.database.db, files, new Date(Date.now() + 25 * 3600_000))).toBeGreaterThanOrEqual(1);
    expect(await t.database.db.upload.count({ where: { filePath: pending } })).toBe(0);
    expect(await t.storedFiles()).not.toContain(pendingKey);
  });
});

describe('a start against a bucket it cannot use', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ag-s3-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('is one line naming STORAGE_URL and exit code 1: a missing bucket, a store that does not answer', async () => {
    const closedPort = await freePort();
    const cases = [
      [
        { STORAGE_URL: 's3://no-such-bucket/assets', S3_ENDPOINT: t.s3!.endpoint },
        `error: STORAGE_URL s3://no-such-bucket/assets: the bucket "no-such-bucket" does not exist at 127.0.0.1:${t.s3!.port}`,
      ],
      [
        { STORAGE_URL: `s3://${S3Emulator.bucket}/assets`, S3_ENDPOINT: `http://127.0.0.1:${closedPort}` },
        `error: STORAGE_URL s3://${S3Emulator.bucket}/assets: the store cannot be reached at 127.0.0.1:${closedPort} (ECONNREFUSED)`,
      ],
    ] as const;
    for (const [env, line] of cases) {
      const started = await runTs('src/index.ts', [], {
        ...S3Emulator.credentials,
        ...env,
        S3_FORCE_PATH_STYLE: 'true',
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
      });
      expect({ code: started.code, stderr: started.stderr, stdout: started.stdout }).toEqual({ code: 1, stderr: `${line}\n`, stdout: '' });
    }
    // Nothing was created: the database is opened after the bucket answered.
    expect(await readdir(dataDir)).toEqual([]);
  });
});
