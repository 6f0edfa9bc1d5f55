import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Upload, type HttpRequest, type OnSuccessPayload } from 'tus-js-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { sweepResumableUploads } from '../../src/domain/files/uploads.ts';
import { stores, type TestApp, useTestApp } from '../helpers/app.ts';
import { makeWav } from '../helpers/files.ts';
import { checkBinaryAgainstOpenApi, rest } from '../helpers/rest.ts';

const mib = 1024 * 1024;
const uploadLimit = 25 * mib;
const endpointPath = '/api/v1/uploads/tus';
let t: TestApp;
let base: string;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A tus request through the real handler; its status (and a JSON body) checked against the OpenAPI document. */
async function tus(key: string | null, method: 'POST' | 'HEAD' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: Buffer) {
  const response = await t.app.inject({
    method,
    url,
    headers: { 'tus-resumable': '1.0.0', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    payload,
  });
  const lower = method.toLowerCase() as 'post' | 'head' | 'patch' | 'delete';
  checkBinaryAgainstOpenApi(lower, url, response.statusCode, response.headers['content-type'] as string | undefined, response.rawPayload);
  return { status: response.statusCode, headers: response.headers, body: response.body ? JSON.parse(response.body) : undefined };
}

async function create(key: string, length: number, headers: Record<string, string> = {}, payload?: Buffer) {
  return tus(key, 'POST', endpointPath, { 'upload-length': String(length), ...headers }, payload);
}

/** What the store holds of resumable uploads: files under `tus/`, and their unfinished multipart uploads on S3. */
async function resumableFiles() {
  return (await t.storedFiles()).filter((file) => /(^|\s)tus\//.test(file));
}

/** The files the store holds of the upload at `url`. */
async function filesOf(url: string) {
  const name = url.slice(url.lastIndexOf('/') + 1);
  return (await resumableFiles()).filter((file) => file.includes(name));
}

/** The files of resumable uploads that `run` adds to the store. */
async function filesAddedBy(run: () => Promise<void>) {
  const before = new Set(await resumableFiles());
  await run();
  return (await resumableFiles()).filter((file) => !before.has(file));
}

/** Runs a tus-js-client upload to its end, or until it has sent `abortAfterBytes` (its request then destroyed); resolves with its URL and the last response. */
function clientUpload(key: string, data: Buffer, options: { uploadUrl?: string; abortAfterBytes?: number; requests?: string[] } = {}) {
  return new Promise<{ url: string; success?: OnSuccessPayload }>((resolve, reject) => {
    let aborted = false;
    const upload: Upload = new Upload(data, {
      endpoint: `${base}${endpointPath}`,
      uploadUrl: options.uploadUrl,
      chunkSize: 5 * mib,
      retryDelays: null,
      storeFingerprintForResuming: false,
      headers: { authorization: `Bearer ${key}` },
      metadata: { filename: 'noise.wav', filetype: 'audio/wav' },
      onBeforeRequest: (req: HttpRequest) => void options.requests?.push(`${req.getMethod()} ${req.getHeader('Upload-Offset') ?? ''}`.trim()),
      onProgress: (sent) => {
        if (aborted || !options.abortAfterBytes || sent < options.abortAfterBytes) return;
        // The connection is cut in the middle of a PATCH: abort() destroys its request.
        aborted = true;
        void upload.abort().then(() => resolve({ url: upload.url! }), reject);
      },
      onSuccess: (success) => resolve({ url: upload.url!, success }),
      onError: reject,
    });
    upload.start();
  });
}

describe.each(stores)('tus on %s', (store) => {
  const app = useTestApp({ UPLOAD_LIMIT_BYTES: String(uploadLimit) }, store);
  beforeAll(async () => {
    t = app;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  it('resumes a 20 MiB upload cut midway (HEAD, then PATCH from the offset), and its asset downloads byte for byte', async () => {
    const key = await t.newKey();
    // A 20 MiB WAV (a header, then noise): a type an audio asset takes.
    const data = makeWav((20 * mib - 44) / 2, 44_100);
    randomBytes(data.length - 44).copy(data, 44);
    const first = await clientUpload(key, data, { abortAfterBytes: 12.5 * mib });
    const cut = await tus(key, 'HEAD', new URL(first.url).pathname);
    expect(cut.status).toBe(200);
    const offset = Number(cut.headers['upload-offset']);
    expect(offset).toBeGreaterThanOrEqual(10 * mib);
    expect(offset).toBeLessThan(20 * mib);

    // Resumed through another gateway on the same database and store: nothing of the upload is in the first one's memory.
    const other = await buildApp({ config: loadConfig(t.env), db: t.database.db });
    onTestFinished(() => other.close());
    await other.listen({ port: 0, host: '127.0.0.1' });
    const otherUrl = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}${new URL(first.url).pathname}`;
    const requests: string[] = [];
    const resumed = await clientUpload(key, data, { uploadUrl: otherUrl, requests });
    expect(resumed.url).toBe(otherUrl);
    expect(requests[0]).toBe('HEAD');
    // From where the store says, at least where it was just after the cut (the cut request's last bytes may land after that HEAD).
    expect(requests[1]).toMatch(/^PATCH \d+$/);
    const resumedAt = Number(requests[1].split(' ')[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(offset);
    expect(resumedAt).toBeLessThan(20 * mib);
    const last = resumed.success!.lastResponse;
    expect(last.getStatus()).toBe(200);
    const answer = JSON.parse(last.getBody());
    expect(answer).toEqual({
      success: true,
      data: {
        file_path: expect.stringMatching(/^\/uploads\/[0-9a-f-]{36}\.wav$/),
        file_size: data.length,
        mime_type: 'audio/wav',
        checksum_sha256: sha256(data),
      },
    });

    // The upload is now an upload like any other: an asset is created from its file_path, and the tus upload is gone.
    const asset = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Resumed', asset_type: 'audio', file_path: answer.data.file_path } });
    expect(asset.status).toBe(201);
    const download = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${asset.body.data.id}/download`, headers: { authorization: `Bearer ${key}` } });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toContain('noise.wav');
    expect(Buffer.compare(download.rawPayload, data)).toBe(0);
    expect((await tus(key, 'HEAD', new URL(first.url).pathname)).status).toBe(404);
    expect(await filesOf(first.url)).toEqual([]);
  });

  it('lets one request of any process write to an upload: a HEAD on another process waits for the PATCH in progress and reads its final offset', async () => {
    const key = await t.newKey();
    const url = (await create(key, 3 * mib)).headers.location as string;
    const other = await buildApp({ config: loadConfig(t.env), db: t.database.db });
    onTestFinished(() => other.close());
    const patch = request(`${base}${url}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${key}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(2 * mib),
      },
    });
    const patched = new Promise<number>((resolve, reject) => {
      patch.on('response', (res) => resolve(res.resume().statusCode!));
      patch.on('error', reject);
    });
    patch.write(randomBytes(mib));
    // Once this process holds the upload's lease, a HEAD through the other process must wait for the whole body.
    const leases = async () => (await t.database.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM upload_locks`)[0].n;
    for (let tries = 0; tries < 100 && (await leases()) === 0; tries++) await sleep(20);
    const head = other.inject({ method: 'HEAD', url, headers: { authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0' } });
    await sleep(500);
    patch.end(randomBytes(mib));
    expect(await patched).toBe(204);
    const answer = await head;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['upload-offset']).toBe(String(2 * mib));
  });

  it("refuses a PATCH whose Upload-Offset is not the upload's (409), and stores none of its bytes", async () => {
    const key = await t.newKey();
    const created = await create(key, 100);
    expect(created.status).toBe(201);
    const url = created.headers.location as string;
    expect(url).toMatch(new RegExp(`^${endpointPath}/[0-9a-f-]{36}$`));
    const patch = (offset: number, bytes: Buffer) =>
      tus(key, 'PATCH', url, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, bytes);
    expect((await patch(0, Buffer.alloc(40, 1))).status).toBe(204);
    const tampered = await patch(60, Buffer.alloc(40, 2));
    expect(tampered.status).toBe(409);
    expect(tampered.body).toEqual({ error: 'Conflict', message: expect.stringContaining('Upload-Offset') });
    expect((await tus(key, 'HEAD', url)).headers['upload-offset']).toBe('40');
  });

  it('answers 401 without a key and 403 to a key without write:assets, before storing any byte', async () => {
    const bytes = randomBytes(mib);
    const withBytes = { 'upload-length': String(bytes.length), 'content-type': 'application/offset+octet-stream' };
    const readOnly = await t.newKey(['read:assets']);
    const added = await filesAddedBy(async () => {
      const anonymous = await tus(null, 'POST', endpointPath, withBytes, bytes);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
      const refused = await tus(readOnly, 'POST', endpointPath, withBytes, bytes);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: 'Insufficient permissions', message: 'API key does not have write:assets scope' });
    });
    expect(added).toEqual([]);
  });

  it('answers 413 over UPLOAD_LIMIT_BYTES, 412 without Tus-Resumable, 415 to a PATCH of another type, 404 to another workspace; exposes its headers to browsers', async () => {
    const key = await t.newKey();
    const tooLarge = await create(key, uploadLimit + 1);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toEqual({ error: 'Payload too large', message: `The file is larger than ${uploadLimit} bytes` });

    const noVersion = await t.app.inject({ method: 'POST', url: endpointPath, headers: { authorization: `Bearer ${key}`, 'upload-length': '10' } });
    expect(noVersion.statusCode).toBe(412);
    expect(noVersion.json()).toEqual({ error: 'Precondition failed', message: 'Tus-Resumable: 1.0.0 is required' });

    // A browser may read the tus headers.
    const fromBrowser = await create(key, 10, { origin: 'https://app.example' });
    expect(fromBrowser.status).toBe(201);
    const exposed = String(fromBrowser.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['location', 'tus-resumable', 'upload-offset', 'upload-length', 'upload-expires']));
    const notOctets = await tus(key, 'PATCH', fromBrowser.headers.location as string, { 'upload-offset': '0', 'content-type': 'text/plain' }, Buffer.alloc(10));
    expect(notOctets.status).toBe(415);

    const url = (await create(key, 10)).headers.location as string;
    const stranger = await t.newKey();
    expect((await tus(stranger, 'HEAD', url)).status).toBe(404);
    const patched = await tus(stranger, 'PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.alloc(10));
    expect(patched.status).toBe(404);
    expect((await tus(key, 'HEAD', url)).headers['upload-offset']).toBe('0');
  });

  it('removes uploads older than UPLOAD_TTL_HOURS in the upload sweep, bytes and state, and keeps younger ones', async () => {
    const key = await t.newKey();
    const url = (await create(key, 6 * mib)).headers.location as string;
    expect((await tus(key, 'PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, randomBytes(mib))).status).toBe(204);
    const files = createFiles(loadConfig(t.env));
    await sweepResumableUploads(files);
    expect((await tus(key, 'HEAD', url)).headers['upload-offset']).toBe(String(mib));
    // With no time to live, every upload is past it.
    expect(await sweepResumableUploads({ ...files, uploadTtlHours: 0 })).toBeGreaterThan(0);
    expect(await filesOf(url)).toEqual([]);
    expect((await tus(key, 'HEAD', url)).status).toBe(404);
  });

  // On disk there is no store to lose.
  if (store === 's3') {
    it('answers 503 with Retry-After while the bucket does not answer, and works again once it is back', async () => {
      const key = await t.newKey();
      const url = (await create(key, 10)).headers.location as string;
      await t.s3!.stop();
      try {
        const created = await create(key, 10);
        expect(created.status).toBe(503);
        expect(created.headers['retry-after']).toBe('30');
        expect(created.body).toEqual({ error: 'Service unavailable', message: expect.stringContaining('HEAD') });
        expect((await tus(key, 'HEAD', url)).status).toBe(503);
      } finally {
        await t.s3!.restart();
      }
      expect((await create(key, 10)).status).toBe(201);
      expect((await tus(key, 'HEAD', url)).headers['upload-offset']).toBe('0');
    });
  }

  it('terminates an upload (DELETE): its bytes and state are removed', async () => {
    const key = await t.newKey();
    const url = (await create(key, 2 * mib)).headers.location as string;
    expect((await tus(key, 'PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, randomBytes(mib))).status).toBe(204);
    expect((await filesOf(url)).length).toBeGreaterThan(0);
    const terminated = await tus(key, 'DELETE', url);
    expect(terminated.status).toBe(204);
    expect(terminated.headers['tus-resumable']).toBe('1.0.0');
    expect((await tus(key, 'HEAD', url)).status).toBe(404);
    expect(await filesOf(url)).toEqual([]);
  });
});
