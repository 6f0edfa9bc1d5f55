import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepUploads } from '../../src/domain/files/uploads.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { loadConfig } from '../../src/config.ts';
import { stores, type TestApp, useTestApp } from '../helpers/app.ts';
import { fragmentMp4, makeDocx, makeJpeg, makeMp4, makeOdt, makePdf, makePng, makeWav, makeWebm } from '../helpers/files.ts';
import { checkBinaryAgainstOpenApi, rest, uploadFile } from '../helpers/rest.ts';

const uploadLimit = 2 * 1024 * 1024;
/** The app of the store whose tests are running: every test below runs once on each store. */
let t: TestApp;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function upload(key: string | null, content: Buffer | string, filename = 'file.bin', name = 'file') {
  return uploadFile(t.app, key, content, filename, name);
}

async function createFromFile(key: string, assetType: string, content: Buffer | string, filename: string, extra: object = {}) {
  const uploaded = await upload(key, content, filename);
  expect(uploaded.status).toBe(201);
  const title = `From ${filename.replace(/\0/g, '').slice(0, 40)}`;
  return rest(t.app, key, 'post', '/api/v1/assets', { json: { title, asset_type: assetType, file_path: uploaded.body.data.file_path, ...extra } });
}

async function download(key: string | null, url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const response = await t.app.inject({ method, url, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  checkBinaryAgainstOpenApi(
    method === 'GET' ? 'get' : 'head',
    url,
    response.statusCode,
    response.headers['content-type'] as string | undefined,
    response.rawPayload,
  );
  return response;
}

/** A PNG whose header declares width × height pixels, with one tiny IDAT: an "image bomb". */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe.each(stores)('on %s', (store) => {
  // These tests check what is extracted, not how fast: the deadline has its own test
  // (test/unit/extract-limits.test.ts), and on a loaded machine a PDF can take more than 5 s.
  const app = useTestApp({ UPLOAD_LIMIT_BYTES: String(uploadLimit), EXTRACT_TIMEOUT_MS: '60000' }, store);
  beforeAll(() => {
    t = app;
  });

  describe('POST /api/v1/uploads', () => {
    it('stores the file, sniffs its type from the bytes and answers its size and SHA-256', async () => {
      const key = await t.newKey();
      const png = await makePng(64, 32);
      // Named .pdf and declared application/octet-stream: neither is believed.
      const response = await upload(key, png, 'not-really.pdf');
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        success: true,
        data: {
          file_path: expect.stringMatching(/^\/uploads\/[0-9a-f-]{36}\.png$/),
          file_size: png.length,
          mime_type: 'image/png',
          checksum_sha256: sha256(png),
        },
      });
    });

    it('refuses what is not an upload: 0 bytes, no file part, not multipart, no key, no write scope, over the limit', async () => {
      const key = await t.newKey();
      const before = await t.storedFiles();
      expect(await upload(key, Buffer.alloc(0))).toMatchObject({
        status: 400,
        body: { error: 'Validation failed', message: 'The file is empty', field: 'file' },
      });
      expect(await upload(key, 'hello', 'a.txt', 'document')).toMatchObject({ status: 400, body: { error: 'Validation failed', field: 'file' } });
      expect(await rest(t.app, key, 'post', '/api/v1/uploads', { json: { file: 'x' } })).toMatchObject({
        status: 415,
        body: { error: 'Unsupported media type', message: 'Content-Type must be multipart/form-data with a file part named file' },
      });
      expect(await rest(t.app, key, 'post', '/api/v1/uploads', { payload: 'raw', headers: { 'content-type': 'application/octet-stream' } })).toMatchObject({
        status: 415,
      });
      expect(await upload(null, 'hello')).toMatchObject({ status: 401, body: { error: 'Unauthorized' } });
      expect(await upload(await t.newKey(['read:assets']), 'hello')).toMatchObject({
        status: 403,
        body: { error: 'Insufficient permissions', message: 'API key does not have write:assets scope' },
      });
      expect(await upload(key, Buffer.alloc(uploadLimit + 1, 'a'))).toMatchObject({
        status: 413,
        body: { error: 'Payload too large', message: `The file is larger than ${uploadLimit} bytes` },
      });
      expect(await upload(key, Buffer.alloc(uploadLimit, 'a'))).toMatchObject({ status: 201, body: { data: { file_size: uploadLimit } } });
      // Only the file at the limit was kept.
      expect((await t.storedFiles()).filter((f) => !before.includes(f))).toHaveLength(1);
    });

    it('never lets a client file name choose where the file goes; the name is kept for Content-Disposition', async () => {
      const key = await t.newKey();
      const names = ['../../escape.txt', '/etc/passwd', '..\\..\\windows.txt', 'nul\0byte.txt', `${'long'.repeat(200)}.txt`, 'Ünïcødé 📄 résumé.txt', '..'];
      const expected = ['escape.txt', 'passwd', 'windows.txt', 'nulbyte.txt', `${'long'.repeat(200)}.txt`.slice(0, 255), 'Ünïcødé 📄 résumé.txt', null];
      for (const [i, name] of names.entries()) {
        const before = await t.storedFiles();
        const created = await createFromFile(key, 'document', `Words in file ${i}`, name);
        expect(created.status, JSON.stringify([name, created.body])).toBe(201);
        const added = (await t.storedFiles()).filter((f) => !before.includes(f));
        expect(added).toEqual([expect.stringMatching(/^files\/[0-9a-f-]{36}$/)]);
        const response = await download(key, `/api/v1/assets/${created.body.data.id}/download`);
        const disposition = String(response.headers['content-disposition']);
        const fileName = expected[i] ?? `${created.body.data.slug}.txt`;
        expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? /filename="(.*)"/.exec(disposition)![1])).toBe(fileName);
      }
      // Nothing was written outside the store (on S3, local copies for extraction are removed after it).
      const written = await readdir(t.dataDir, { recursive: true, withFileTypes: true });
      const outside = written.filter((e) => e.isFile()).map((e) => relative(t.dataDir, join(e.parentPath, e.name)));
      expect(outside.filter((path) => !path.startsWith('uploads/'))).toEqual([]);
    });

    it('a client that disconnects mid-upload leaves no file behind', async () => {
      const key = await t.newKey();
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      const before = await t.storedFiles();
      const boundary = 'cut-short';
      await new Promise<void>((resolve) => {
        const req = request({
          port,
          method: 'POST',
          path: '/api/v1/uploads',
          headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 1_000_000 },
        });
        req.on('error', () => resolve());
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
        req.write(Buffer.alloc(200_000, 'x'), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 200),
        );
      });
      // The server notices the closed socket, fails the stream and removes the temporary file.
      let left: string[] = [];
      for (let i = 0; i < 50; i++) {
        left = (await t.storedFiles()).filter((f) => !before.includes(f));
        if (!left.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(left).toEqual([]);
      expect(await t.database.db.upload.count({ where: { originalName: 'big.bin' } })).toBe(0);

      // The same route over the real socket, completed this time.
      const answer = await fetch(`http://127.0.0.1:${port}/api/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: (() => {
          const form = new FormData();
          form.append('file', new Blob(['over a socket']), 'socket.txt');
          return form;
        })(),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
      expect(answer).toMatchObject({ status: 201, body: { data: { file_size: 13, mime_type: 'text/plain' } } });
    });
  });

  describe('creating an asset from an upload fills its metadata from the bytes', () => {
    it('pdf: page_count and word_count from the text layer, a first-page thumbnail', async () => {
      const key = await t.newKey();
      const pdf = await makePdf([['Quarterly report for 2024', 'prepared by the team'], ['Revenue grew strongly'], ['The end']]);
      const response = await createFromFile(key, 'pdf', pdf, 'report.pdf', { file_size: 1, mime_type: 'text/plain', page_count: 99 });
      expect(response.status).toBe(201);
      expect(response.body.data).toMatchObject({
        asset_type: 'pdf',
        file_size: pdf.length,
        mime_type: 'application/pdf',
        checksum_sha256: sha256(pdf),
        page_count: 3,
        word_count: 13,
        width: null,
        height: null,
        duration_seconds: null,
        thumbnail_path: expect.stringMatching(/^\/uploads\/thumbnails\/[0-9a-f-]{36}\.webp$/),
      });
      const thumbnail = await download(key, `/api/v1/assets/${response.body.data.id}/thumbnail`);
      expect(thumbnail.headers['content-type']).toBe('image/webp');
      expect(await sharp(thumbnail.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 453 });
    });

    it('image: width and height as displayed (EXIF orientation applied), a 320 px thumbnail turned upright', async () => {
      const key = await t.newKey();
      const png = await makePng(640, 480);
      const pngAsset = await createFromFile(key, 'image', png, 'wide.png');
      expect(pngAsset.body.data).toMatchObject({
        width: 640,
        height: 480,
        mime_type: 'image/png',
        file_size: png.length,
        checksum_sha256: sha256(png),
        page_count: null,
      });
      const pngThumb = await download(key, `/api/v1/assets/${pngAsset.body.data.id}/thumbnail`);
      expect(await sharp(pngThumb.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });

      // Stored 1000×500 with orientation 6: shown 500 wide, 1000 high.
      const jpeg = await makeJpeg(1000, 500, 6);
      expect((await sharp(jpeg).metadata()).orientation).toBe(6);
      const jpegAsset = await createFromFile(key, 'image', jpeg, 'rotated.jpg');
      expect(jpegAsset.body.data).toMatchObject({ width: 500, height: 1000, mime_type: 'image/jpeg', file_size: jpeg.length, checksum_sha256: sha256(jpeg) });
      const jpegThumb = await download(key, `/api/v1/assets/${jpegAsset.body.data.id}/thumbnail`);
      expect(await sharp(jpegThumb.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 640 });
    });

    it('audio: duration_seconds; document: word_count of docx, markdown and plain text', async () => {
      const key = await t.newKey();
      const wav = makeWav(12_000, 8000);
      expect((await createFromFile(key, 'audio', wav, 'tone.wav')).body.data).toMatchObject({
        mime_type: 'audio/wav',
        file_size: wav.length,
        checksum_sha256: sha256(wav),
        duration_seconds: 1.5,
        width: null,
        thumbnail_path: null,
      });
      const docx = await makeDocx(['The first paragraph has six words.', 'And the second one four.']);
      expect((await createFromFile(key, 'document', docx, 'notes.docx')).body.data).toMatchObject({
        mime_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        file_size: docx.length,
        word_count: 11,
        page_count: null,
      });
      const odt = await makeOdt(['Open documents count too,', 'R&D included.']);
      expect((await createFromFile(key, 'document', odt, 'notes.odt')).body.data).toMatchObject({
        mime_type: 'application/vnd.oasis.opendocument.text',
        word_count: 6,
        page_count: null,
      });
      const markdown = '# Release notes\n\n- Faster uploads\n- Smaller thumbnails\n\n| a | b |\n|---|---|\n| one | two |\n';
      expect((await createFromFile(key, 'document', markdown, 'notes.md')).body.data).toMatchObject({ mime_type: 'text/markdown', word_count: 10 });
      const text = 'Plain text, with  spacing\tand\nnew lines — and a dash.';
      expect((await createFromFile(key, 'document', text, 'notes.txt')).body.data).toMatchObject({
        mime_type: 'text/plain',
        word_count: 10,
        file_size: Buffer.byteLength(text),
      });
    });

    it('video: duration_seconds, width and height from an H.264 MP4 (also turned as phones record), a WebM and browser recordings', async () => {
      const key = await t.newKey();
      // 50 frames at 25 per second: 2 s. No sound track (music-metadata timed only an MP4's audio).
      const mp4 = await makeMp4(64, 48, 50, 25);
      const mp4Asset = await createFromFile(key, 'video', mp4, 'clip.mp4');
      expect(mp4Asset.status).toBe(201);
      expect(mp4Asset.body.data).toMatchObject({
        mime_type: 'video/mp4',
        file_size: mp4.length,
        checksum_sha256: sha256(mp4),
        duration_seconds: 2,
        width: 64,
        height: 48,
        thumbnail_path: null,
      });
      const downloaded = await download(key, `/api/v1/assets/${mp4Asset.body.data.id}/download`);
      expect(downloaded.headers['content-type']).toBe('video/mp4');
      expect(sha256(downloaded.rawPayload)).toBe(sha256(mp4));

      // As Safari records: fragments, and no duration in the movie header.
      const fragmented = await fragmentMp4(mp4);
      expect(fragmented.includes('moof')).toBe(true);
      expect((await createFromFile(key, 'video', fragmented, 'recording.mp4')).body.data).toMatchObject({ duration_seconds: 2, width: 64, height: 48 });

      // Turned as phones record: a quarter turn either way swaps the sides, a half turn does not.
      for (const [rotation, width, height] of [
        [90, 48, 64],
        [180, 64, 48],
        [270, 48, 64],
      ] as const) {
        const turned = await makeMp4(64, 48, 25, 25, rotation);
        expect((await createFromFile(key, 'video', turned, `turned-${rotation}.mp4`)).body.data, `${rotation}°`).toMatchObject({
          duration_seconds: 1,
          width,
          height,
        });
      }

      const webm = await makeWebm(320, 240, 3);
      expect((await createFromFile(key, 'video', webm, 'clip.webm')).body.data).toMatchObject({
        mime_type: 'video/webm',
        file_size: webm.length,
        duration_seconds: 3,
        width: 320,
        height: 240,
      });
      // As a browser records: no duration in the header, elements of unknown size.
      const recorded = await makeWebm(640, 360, 2, true);
      expect((await createFromFile(key, 'video', recorded, 'recording.webm')).body.data).toMatchObject({
        mime_type: 'video/webm',
        duration_seconds: 2,
        width: 640,
        height: 360,
      });

      const cut = await createFromFile(key, 'video', mp4.subarray(0, 40), 'cut.mp4');
      expect(cut.status).toBe(400);
      expect(cut.body).toMatchObject({ error: 'Validation failed', field: 'file_path' });
    });
  });

  describe('hostile and mismatched files answer 400 and create nothing', () => {
    it("truncated PDF, PNG sent as pdf, image bomb, zip-bomb docx, another workspace's upload, an attached upload", async () => {
      const key = await t.newKey();
      const pdf = await makePdf([['Some text here'], ['More text']]);
      const bomb = pngDeclaring(100_000, 100_000);
      const zipBomb = await makeDocx(['tiny'], 60 * 1024 * 1024);
      expect(zipBomb.length).toBeLessThan(uploadLimit);
      const otherKey = await t.newKey();
      const theirs = await upload(otherKey, pdf, 'theirs.pdf');
      const attached = await createFromFile(key, 'pdf', pdf, 'attached.pdf');
      const thumbnailsBefore = (await t.storedFiles()).filter((f) => f.startsWith('thumbnails/'));

      const cases: [string, Buffer | string | null, string, string, RegExp][] = [
        ['pdf', pdf.subarray(0, Math.floor(pdf.length / 2)), 'file_path', 'pdf', /could not be read/],
        ['pdf', await makePng(10, 10), 'asset_type', 'png', /^The file is image\/png, which does not fit asset type pdf$/],
        ['image', pdf, 'asset_type', 'pdf', /which does not fit asset type image/],
        ['image', bomb, 'file_path', 'bomb', /declares 100000×100000 pixels/],
        ['image', (await makePng(400, 400)).subarray(0, 300), 'file_path', 'truncated png', /could not be read/],
        ['document', zipBomb, 'file_path', 'zip bomb', /expands to more than/],
        ['link', pdf, 'file_path', 'link', /link assets do not take a file/],
      ];
      for (const [assetType, content, field, label, message] of cases) {
        const uploaded = await upload(key, content!, label);
        const response = await rest(t.app, key, 'post', '/api/v1/assets', {
          json: { title: label, asset_type: assetType, file_path: uploaded.body.data.file_path, external_url: 'https://example.com' },
        });
        expect(response, label).toMatchObject({ status: 400, body: { error: 'Validation failed', field } });
        expect(response.body.message, label).toMatch(message);
      }
      const foreign = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'x', asset_type: 'pdf', file_path: theirs.body.data.file_path } });
      const unknown = await rest(t.app, key, 'post', '/api/v1/assets', {
        json: { title: 'x', asset_type: 'pdf', file_path: '/uploads/00000000-0000-4000-8000-000000000000.pdf' },
      });
      expect(foreign).toMatchObject({ status: 400, body: { field: 'file_path' } });
      expect(foreign.body).toEqual(unknown.body);
      expect(
        await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'x', asset_type: 'pdf', file_path: attached.body.data.file_path } }),
      ).toMatchObject({
        status: 400,
        body: { message: 'This upload is already attached to an asset', field: 'file_path' },
      });
      // Nothing was created but the one good asset; no thumbnail was left by the failures.
      expect((await rest(t.app, key, 'get', '/api/v1/assets')).body.pagination.total).toBe(1);
      expect((await t.storedFiles()).filter((f) => f.startsWith('thumbnails/'))).toEqual(thumbnailsBefore);
    });
  });

  describe('GET /api/v1/assets/{id}/download', () => {
    it('serves the file with its headers, honours Range and If-None-Match, and counts only full GETs', async () => {
      const key = await t.newKey();
      const text = 'abcdefghijklmnopqrstuvwxyz';
      const created = await createFromFile(key, 'document', text, 'alphabet.txt');
      const url = `/api/v1/assets/${created.body.data.id}/download`;
      const full = await download(key, url);
      expect(full.statusCode).toBe(200);
      expect(full.body).toBe(text);
      expect(full.headers).toMatchObject({
        'content-type': 'text/plain',
        'content-length': '26',
        etag: `"${sha256(text)}"`,
        'accept-ranges': 'bytes',
        'content-disposition': 'attachment; filename="alphabet.txt"',
        'x-content-type-options': 'nosniff',
      });
      const ranges: [string, number, string, string | undefined][] = [
        ['bytes=0-0', 206, 'a', 'bytes 0-0/26'],
        ['bytes=-3', 206, 'xyz', 'bytes 23-25/26'],
        ['bytes=20-', 206, 'uvwxyz', 'bytes 20-25/26'],
        ['bytes=24-100', 206, 'yz', 'bytes 24-25/26'],
        ['bytes=0-1,4-5', 200, text, undefined],
        ['bytes=oops', 200, text, undefined],
        // RFC 9110 14.1.2: a suffix longer than the file is the whole file.
        ['bytes=-99999999', 206, text, 'bytes 0-25/26'],
        ['bytes=-26', 206, text, 'bytes 0-25/26'],
        // An invalid range (last before first) makes the header invalid: it is ignored (14.2).
        ['bytes=5-2', 200, text, undefined],
        ['bytes=0-0,5-2', 200, text, undefined],
        // A satisfiable range beside one past the end is served.
        ['bytes=0-0,2000-', 206, 'a', 'bytes 0-0/26'],
      ];
      for (const [range, status, body, contentRange] of ranges) {
        const response = await download(key, url, { range });
        expect({ range, status: response.statusCode, body: response.body, contentRange: response.headers['content-range'] }).toEqual({
          range,
          status,
          body,
          contentRange,
        });
        expect(response.headers['content-length']).toBe(String(body.length));
      }
      // No byte in range: a first byte past the end, or an empty suffix.
      for (const range of ['bytes=26-', 'bytes=2000-', 'bytes=2000-3000', 'bytes=-0']) {
        const unsatisfiable = await download(key, url, { range });
        expect({ range, status: unsatisfiable.statusCode }).toEqual({ range, status: 416 });
        expect(unsatisfiable.headers['content-range']).toBe('bytes */26');
      }
      expect((await download(key, url, { 'if-none-match': `"${sha256(text)}"` })).statusCode).toBe(304);
      expect((await download(key, url, { range: 'bytes=0-0', 'if-range': '"stale"' })).statusCode).toBe(200);
      const head = await download(key, url, {}, 'HEAD');
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe('26');
      expect(head.body).toBe('');
      // Counted: the first full GET, the four multi/malformed/invalid-range GETs and the stale If-Range GET.
      expect((await rest(t.app, key, 'get', `/api/v1/assets/${created.body.data.id}`)).body.data.download_count).toBe(6);
    });

    it('counts concurrent downloads exactly', async () => {
      const key = await t.newKey();
      const created = await createFromFile(key, 'document', 'count me', 'count.txt');
      const url = `/api/v1/assets/${created.body.data.id}/download`;
      const responses = await Promise.all(Array.from({ length: 25 }, () => download(key, url)));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(25).fill(200));
      expect((await rest(t.app, key, 'get', `/api/v1/assets/${created.body.data.id}`)).body.data.download_count).toBe(25);
    });

    it('private assets need a key of their workspace with read:assets; public ones need none', async () => {
      const key = await t.newKey();
      const png = await makePng(20, 20);
      const privateAsset = (await createFromFile(key, 'image', png, 'private.png')).body.data;
      const publicAsset = (await createFromFile(key, 'image', png, 'public.png', { is_public: true })).body.data;
      const writeOnly = await t.newKey(
        ['write:assets'],
        (await t.database.db.workspace.findFirstOrThrow({ where: { assets: { some: { id: privateAsset.id } } } })).slug,
      );
      const other = await t.newKey();
      const bad = `agk_notarealkey0_${'x'.repeat(43)}`;
      const linkAsset = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'link', asset_type: 'link', external_url: 'https://example.com' } }))
        .body.data;
      for (const what of ['download', 'thumbnail']) {
        const priv = `/api/v1/assets/${privateAsset.id}/${what}`;
        const pub = `/api/v1/assets/${publicAsset.id}/${what}`;
        const cases: [string | null, string, number][] = [
          [null, priv, 401],
          [key, priv, 200],
          [writeOnly, priv, 403],
          [other, priv, 404],
          [bad, priv, 401],
          [null, pub, 200],
          [other, pub, 200],
          [bad, pub, 401],
          [key, `/api/v1/assets/00000000-0000-4000-8000-000000000000/${what}`, 404],
          [key, `/api/v1/assets/not-a-uuid/${what}`, 404],
          [null, `/api/v1/assets/00000000-0000-4000-8000-000000000000/${what}`, 401],
          [key, `/api/v1/assets/${linkAsset.id}/${what}`, 404],
        ];
        for (const [caller, url, status] of cases) expect({ url, status: (await download(caller, url)).statusCode }).toEqual({ url, status });
      }
      // The uploads folder is never served as static files.
      expect((await t.app.inject({ method: 'GET', url: privateAsset.file_path })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: `/api/v1${privateAsset.file_path}` })).statusCode).toBe(404);
    });
  });

  describe('a missing file or thumbnail', () => {
    it('names what is missing for an asset the caller may see; an unknown or foreign asset is not found', async () => {
      const key = await t.newKey();
      const other = await t.newKey();
      const text = (await createFromFile(key, 'document', 'no picture here', 'words.txt')).body.data;
      const publicText = (await createFromFile(key, 'document', 'public words', 'public.txt', { is_public: true })).body.data;
      const link = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'link', asset_type: 'link', external_url: 'https://example.com' } })).body
        .data;
      const noThumbnail = { error: 'Not found', message: 'This asset has no thumbnail' };
      const noFile = { error: 'Not found', message: 'This asset has no file' };
      const notFound = { error: 'Not found', message: 'Asset not found' };
      const cases: [string | null, string, object][] = [
        [key, `/api/v1/assets/${text.id}/thumbnail`, noThumbnail],
        [null, `/api/v1/assets/${publicText.id}/thumbnail`, noThumbnail],
        [key, `/api/v1/assets/${link.id}/download`, noFile],
        [key, `/api/v1/assets/${link.id}/thumbnail`, noThumbnail],
        [other, `/api/v1/assets/${text.id}/thumbnail`, notFound],
        [other, `/api/v1/assets/${link.id}/download`, notFound],
        [key, '/api/v1/assets/00000000-0000-4000-8000-000000000000/thumbnail', notFound],
      ];
      for (const [caller, url, body] of cases) {
        const response = await download(caller, url);
        expect({ url, status: response.statusCode, body: response.json() }).toEqual({ url, status: 404, body });
      }
    });
  });

  describe('housekeeping', () => {
    it('deletes uploads never attached after UPLOAD_TTL_HOURS, bytes and row, and keeps attached ones', async () => {
      const key = await t.newKey();
      const loose = await upload(key, 'never attached', 'loose.txt');
      const kept = await createFromFile(key, 'document', 'attached words', 'kept.txt');
      const files = createFiles(loadConfig({ ...t.env, UPLOAD_TTL_HOURS: '24' }));
      expect(await sweepUploads(t.database.db, files, new Date(Date.now() + 23 * 3600_000))).toBe(0);
      const swept = await sweepUploads(t.database.db, files, new Date(Date.now() + 25 * 3600_000));
      expect(swept).toBeGreaterThanOrEqual(1);
      expect(await t.database.db.upload.findUnique({ where: { filePath: loose.body.data.file_path } })).toBeNull();
      const stored = await t.storedFiles();
      expect(stored).not.toContain(`files/${loose.body.data.file_path.slice(9, 45)}`);
      expect(stored).toContain(`files/${kept.body.data.file_path.slice(9, 45)}`);
      expect((await download(key, `/api/v1/assets/${kept.body.data.id}/download`)).body).toBe('attached words');
      expect(
        await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'late', asset_type: 'document', file_path: loose.body.data.file_path } }),
      ).toMatchObject({ status: 400, body: { field: 'file_path' } });
    });
  });
});
