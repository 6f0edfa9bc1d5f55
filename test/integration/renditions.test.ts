import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { backfillPlaceholders } from '../../src/domain/files/placeholder-backfill.ts';
import { createSigner, loadSigningSecret } from '../../src/domain/files/signing.ts';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, type TestApp, useTestApp } from '../helpers/app.ts';
import { makeJpeg, makePdf, makePng, multipartBody } from '../helpers/files.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { checkBinaryAgainstOpenApi, rest } from '../helpers/rest.ts';

/**
 * GET /api/v1/assets/{id}/image (src/domain/files/renditions.ts), the signed URLs GraphQL mints
 * for it and for downloads (src/domain/files/signing.ts), and the placeholders read at extraction.
 */

const secret = 'renditions-test-secret-0123456789abcdef';
const Urls = gql(`
  query RenditionUrls($id: ID!, $transform: ImageTransformInput, $widths: [Int!]!, $expiresIn: Int) {
    asset(id: $id) {
      id
      ... on FileAsset { downloadUrl(expiresIn: $expiresIn) thumbnailUrl placeholder { thumbhash dominantColor dataUrl } }
      ... on ImageAsset { imageUrl(transform: $transform, expiresIn: $expiresIn) srcSet(widths: $widths, transform: $transform) }
      ... on PdfAsset { imageUrl(transform: $transform, expiresIn: $expiresIn) srcSet(widths: $widths, transform: $transform) }
    }
  }
`);

type Urls = {
  downloadUrl: string;
  thumbnailUrl: string;
  imageUrl: string;
  srcSet: string;
  placeholder: { thumbhash: string; dominantColor: string; dataUrl: string };
};

async function createFromFile(t: TestApp, key: string, assetType: string, content: Buffer, filename: string, extra: object = {}) {
  const { payload, contentType } = multipartBody([{ name: 'file', filename, content, contentType: 'application/octet-stream' }]);
  const uploaded = await rest(t.app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } });
  expect(uploaded.status).toBe(201);
  const created = await rest(t.app, key, 'post', '/api/v1/assets', {
    json: { title: filename, asset_type: assetType, file_path: uploaded.body.data.file_path, ...extra },
  });
  expect(created.status).toBe(201);
  return created.body.data as { id: string; placeholder: { thumbhash: string; dominant_color: string } | null };
}

/** A GET through the real handler; an /api/v1 answer must be one the OpenAPI document lists (a JSON body, its schema). */
async function get(t: TestApp, url: string, key: string | null = null, headers: Record<string, string> = {}) {
  const response = await t.app.inject({ method: 'GET', url, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  if (url.startsWith('/api/v1/'))
    checkBinaryAgainstOpenApi('get', url, response.statusCode, response.headers['content-type'] as string | undefined, response.rawPayload);
  return response;
}

async function urls(t: TestApp, key: string, id: string, variables: { transform?: object; widths?: number[]; expiresIn?: number } = {}): Promise<Urls> {
  const data = expectData(await graphql(t.app, key, Urls, { id, widths: [100], ...variables } as never));
  return data.asset as unknown as Urls;
}

/** Renders made so far, from GET /metrics: rendition_duration_seconds counts each one. */
async function rendersMade(t: TestApp, reader: string): Promise<number> {
  return (await scrapeMetrics(t.app, reader)).histogramCount('rendition_duration_seconds');
}

describe('renditions', () => {
  const t = useTestApp({ URL_SIGNING_SECRET: secret, EXTRACT_TIMEOUT_MS: '60000', RENDITION_TIMEOUT_MS: '60000' });
  let key: string;
  let reader: string;
  let photo: { id: string; placeholder: { thumbhash: string; dominant_color: string } | null };
  let pdf: { id: string };

  beforeAll(async () => {
    key = await t.newKey(['read:assets', 'write:assets']);
    reader = await t.newKey(['read:metrics']);
    // Stored 400 × 200, displayed 200 × 400 (EXIF orientation 6).
    photo = await createFromFile(t, key, 'image', await makeJpeg(400, 200, 6), 'photo.jpg');
    pdf = await createFromFile(t, key, 'pdf', await makePdf([['one'], ['two']]), 'two.pdf');
  });

  it('renders an EXIF-rotated JPEG upright, at the size and in the format asked, never larger than its source unless asked', async () => {
    const cases: [string, string, number, number][] = [
      ['w=100', 'webp', 100, 200],
      ['h=100&format=jpeg', 'jpeg', 50, 100],
      ['w=60&h=60&fit=cover&format=png', 'png', 60, 60],
      ['w=60&h=60&fit=inside&format=avif', 'heif', 30, 60],
      ['w=1000', 'webp', 200, 400],
      ['w=1000&enlarge=true&q=40', 'webp', 1000, 2000],
    ];
    for (const [query, format, width, height] of cases) {
      const response = await get(t, `/api/v1/assets/${photo.id}/image?${query}`, key);
      expect(response.statusCode, query).toBe(200);
      const info = await sharp(response.rawPayload).metadata();
      expect({ query, format: info.format, width: info.width, height: info.height }).toEqual({ query, format, width, height });
      expect(response.headers['cache-control']).toBe('private, no-cache');
    }
  });

  it("renders a PDF's page at the width asked", async () => {
    const response = await get(t, `/api/v1/assets/${pdf.id}/image?page=2&w=300&format=jpeg`, key);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/jpeg');
    // An A4 page, 595 × 842 points.
    expect(await sharp(response.rawPayload).metadata()).toMatchObject({ format: 'jpeg', width: 300, height: Math.round((842 * 300) / 595) });
    const missing = await get(t, `/api/v1/assets/${pdf.id}/image?page=3`, key);
    expect([missing.statusCode, missing.json().field]).toEqual([400, 'page']);
  });

  it('picks the format from Accept with format=auto, and says Vary: Accept', async () => {
    const cases: [string | undefined, string, string][] = [
      ['image/avif,image/webp,image/apng,*/*;q=0.8', 'image/avif', 'heif'],
      ['image/webp,*/*', 'image/webp', 'webp'],
      ['image/avif;q=0, image/webp', 'image/webp', 'webp'],
      ['*/*', 'image/jpeg', 'jpeg'],
      [undefined, 'image/jpeg', 'jpeg'],
    ];
    for (const [accept, type, format] of cases) {
      const response = await get(t, `/api/v1/assets/${photo.id}/image?w=40&format=auto`, key, accept ? { accept } : {});
      expect([accept, response.statusCode, response.headers['content-type'], response.headers.vary]).toEqual([accept, 200, type, 'Accept']);
      expect((await sharp(response.rawPayload).metadata()).format).toBe(format);
    }
    const fixed = await get(t, `/api/v1/assets/${photo.id}/image?w=40&format=webp`, key, { accept: 'image/avif' });
    expect(fixed.headers.vary).toBeUndefined();
  });

  it('makes a rendition once: a repeat is read from the store (no second render), and If-None-Match answers 304', async () => {
    const url = `/api/v1/assets/${photo.id}/image?w=77&h=33&fit=fill`;
    const before = await rendersMade(t, reader);
    const first = await get(t, url, key);
    expect([first.statusCode, first.headers['x-rendition-cache']]).toEqual([200, 'miss']);
    // The same rendition, its parameters in another order and with a default spelled out.
    const again = await get(t, `/api/v1/assets/${photo.id}/image?fit=fill&h=33&format=webp&w=77`, key);
    expect([again.statusCode, again.headers['x-rendition-cache']]).toEqual([200, 'hit']);
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(again.headers.etag).toBe(first.headers.etag);
    const notModified = await get(t, url, key, { 'if-none-match': first.headers.etag as string });
    expect([notModified.statusCode, notModified.rawPayload.length]).toEqual([304, 0]);
    expect(await rendersMade(t, reader)).toBe(before + 1);
    expect((await t.storedFiles()).filter((file) => file.startsWith('renditions/') && file.endsWith('-q80-p1-n.webp')).length).toBeGreaterThan(0);
  });

  it('serves a signed URL without a key, for a private asset, cached for good', async () => {
    const { imageUrl, srcSet, downloadUrl, thumbnailUrl } = await urls(t, key, photo.id, { transform: { width: 50, format: 'PNG' } });
    expect(imageUrl).toMatch(new RegExp(`^/api/v1/assets/${photo.id}/image\\?w=50&format=png&exp=\\d+&sig=[\\w-]{43}$`));
    const response = await get(t, imageUrl);
    expect([response.statusCode, response.headers['content-type'], response.headers['cache-control']]).toEqual([
      200,
      'image/png',
      'public, max-age=31536000, immutable',
    ]);
    expect(await sharp(response.rawPayload).metadata()).toMatchObject({ width: 50, height: 100 });
    // srcSet: one signed URL per width (the transform's width gives way to each).
    const entries = srcSet.split(', ');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^\/api\/v1\/assets\/[\w-]+\/image\?w=100&format=png&exp=\d+&sig=[\w-]{43} 100w$/);
    expect((await get(t, entries[0].split(' ')[0])).statusCode).toBe(200);
    // The file and the thumbnail too.
    expect((await get(t, downloadUrl)).statusCode).toBe(200);
    expect((await get(t, thumbnailUrl)).statusCode).toBe(200);
  });

  it('refuses tampered, expired, foreign and other-asset signatures (403), and an unsigned request without a key (401)', async () => {
    // Another workspace's asset, public: its renditions need a signature or a key all the same.
    const otherKey = await t.newKey();
    const other = await createFromFile(t, otherKey, 'image', await makePng(30, 20), 'other.png', { is_public: true });
    const { imageUrl, downloadUrl } = await urls(t, key, photo.id, { transform: { width: 50 } });
    const path = `/api/v1/assets/${photo.id}/image`;
    const refusals: [string, string][] = [
      ['tampered width', imageUrl.replace('w=50', 'w=51')],
      ['added parameter', imageUrl.replace('w=50', 'w=50&h=10')],
      ['tampered signature', imageUrl.replace(/sig=./, (s) => (s.endsWith('A') ? 'sig=B' : 'sig=A'))],
      ["another workspace's asset", imageUrl.replace(photo.id, other.id)],
      ['expired', createSigner(secret, () => Date.now() - 7200_000).sign(path, 'w=50', 3600)],
      ['another secret', createSigner('another-secret-0123456789abcdef-0123').sign(path, 'w=50')],
      ['download with another secret', createSigner('another-secret-0123456789abcdef-0123').sign(`/api/v1/assets/${photo.id}/download`, '')],
      ['download signature on the thumbnail', downloadUrl.replace('/download', '/thumbnail')],
    ];
    for (const [what, url] of refusals) {
      const response = await get(t, url);
      expect([what, response.statusCode, response.json().error]).toEqual([what, 403, 'Insufficient permissions']);
    }
    const unsigned = await get(t, `${path}?w=50`);
    expect([unsigned.statusCode, unsigned.json().error]).toEqual([401, 'Unauthorized']);
    // A public asset's renditions need a signature or a key too: signing is what keeps anyone from rendering at will.
    expect((await get(t, `/api/v1/assets/${other.id}/image?w=10`)).statusCode).toBe(401);
    expect((await get(t, `/api/v1/assets/${other.id}/image?w=10`, key)).statusCode).toBe(404);
    const publicUrl = (await urls(t, otherKey, other.id)).imageUrl;
    const served = await get(t, publicUrl);
    expect([served.statusCode, served.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
  });

  it("stops serving a deleted asset's renditions at once, signed or not", async () => {
    const doomed = await createFromFile(t, key, 'image', await makePng(40, 40), 'doomed.png');
    const { imageUrl } = await urls(t, key, doomed.id, { transform: { width: 20 } });
    expect((await get(t, imageUrl)).statusCode).toBe(200);
    expect((await rest(t.app, key, 'delete', `/api/v1/assets/${doomed.id}`)).status).toBe(200);
    for (const response of [await get(t, imageUrl), await get(t, `/api/v1/assets/${doomed.id}/image?w=20`, key)]) {
      expect([response.statusCode, response.json().error]).toEqual([404, 'Not found']);
    }
  });

  it('refuses other asset types and bad parameters with 400 naming them', async () => {
    const link = await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'A link', asset_type: 'link', external_url: 'https://example.com' } });
    const cases: [string, string][] = [
      [`/api/v1/assets/${link.body.data.id}/image?w=10`, 'asset_type'],
      [`/api/v1/assets/${photo.id}/image?w=0`, 'w'],
      [`/api/v1/assets/${photo.id}/image?h=4097`, 'h'],
      [`/api/v1/assets/${photo.id}/image?w=ten`, 'w'],
      [`/api/v1/assets/${photo.id}/image?fit=crop`, 'fit'],
      [`/api/v1/assets/${photo.id}/image?format=gif`, 'format'],
      [`/api/v1/assets/${photo.id}/image?q=101`, 'q'],
      [`/api/v1/assets/${photo.id}/image?page=2`, 'page'],
      [`/api/v1/assets/${photo.id}/image?width=10`, 'width'],
    ];
    for (const [url, field] of cases) {
      const response = await get(t, url, key);
      expect([url, response.statusCode, response.json().field]).toEqual([url, 400, field]);
    }
    const graphqlRefusal = await graphql(t.app, key, Urls, { id: photo.id, widths: [5000] } as never);
    expect(graphqlRefusal.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'widths' });
    for (const [id, transform, field] of [
      [pdf.id, { page: 3 }, 'transform.page'],
      [photo.id, { page: 2 }, 'transform.page'],
      [photo.id, { quality: 0 }, 'transform.quality'],
    ] as const) {
      const refused = await graphql(t.app, key, Urls, { id, widths: [100], transform } as never);
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('gives images and PDFs a placeholder at extraction: a decodable ThumbHash, a dominant colour and a data URL', async () => {
    for (const id of [photo.id, pdf.id]) {
      const { placeholder } = await urls(t, key, id);
      const decoded = thumbHashToRGBA(Buffer.from(placeholder.thumbhash, 'base64'));
      expect(decoded.w * decoded.h * 4).toBe(decoded.rgba.length);
      expect(placeholder.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
      const png = Buffer.from(placeholder.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
      expect((await sharp(png).metadata()).format).toBe('png');
    }
    // The photo is portrait once upright, and blue (20, 120, 200); the PDF's page is white.
    const { placeholder } = await urls(t, key, photo.id);
    const decoded = thumbHashToRGBA(Buffer.from(placeholder.thumbhash, 'base64'));
    expect(decoded.h).toBeGreaterThan(decoded.w);
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(placeholder.dominantColor.slice(i, i + 2), 16));
    expect(b).toBeGreaterThan(r + 100);
    expect(g).toBeGreaterThan(r + 50);
    expect((await urls(t, key, pdf.id)).placeholder.dominantColor).toMatch(/^#f[0-9a-f]f[0-9a-f]f[0-9a-f]$/);
    // REST shows it too.
    expect(photo.placeholder).toEqual({ thumbhash: placeholder.thumbhash, dominant_color: placeholder.dominantColor });
  });

  it('gives older assets their placeholder with the backfill (npm run images:backfill), from their stored thumbnails', async () => {
    const before = (await urls(t, key, photo.id)).placeholder;
    await t.database.db.asset.updateMany({ where: { id: { in: [photo.id, pdf.id] } }, data: { thumbhash: null, dominantColor: null } });
    expect((await urls(t, key, photo.id)).placeholder).toBeNull();
    const seen: number[] = [];
    const result = await backfillPlaceholders(t.database.db, createFiles(loadConfig(t.env)), (progress) => seen.push(progress.done));
    expect(result).toEqual({ done: 2, total: 2, unreadable: 0 });
    expect(seen.at(-1)).toBe(2);
    expect((await urls(t, key, photo.id)).placeholder).toEqual(before);
    expect((await urls(t, key, pdf.id)).placeholder).not.toBeNull();
    // Resumable: a second run finds nothing left to do.
    expect(await backfillPlaceholders(t.database.db, createFiles(loadConfig(t.env)))).toEqual({ done: 0, total: 0, unreadable: 0 });
  });
});

/** One render at a time and none waiting: the queue's 503 is easy to meet; and a low cap on output pixels. On S3, so that renditions are made from and stored in a bucket too. */
describe('renditions on S3, one at a time', () => {
  const t = useTestApp(
    {
      EXTRACT_TIMEOUT_MS: '60000',
      RENDITION_TIMEOUT_MS: '60000',
      RENDITION_CONCURRENCY: '1',
      RENDITION_QUEUE_LIMIT: '0',
      RENDITION_MAX_OUTPUT_PIXELS: '1000000',
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '3',
    },
    's3',
  );

  it('are made from the bucket, stored in it, and read back from it', async () => {
    const key = await t.newKey();
    const photo = await createFromFile(t, key, 'image', await makeJpeg(300, 150, 6), 'photo.jpg');
    const pdf = await createFromFile(t, key, 'pdf', await makePdf([['one']]), 'one.pdf');
    for (const [id, query, width, height] of [
      [photo.id, 'w=60', 60, 120],
      [pdf.id, 'w=119&format=png', 119, Math.round((842 * 119) / 595)],
    ] as const) {
      const { imageUrl } = await urls(t, key, id, { transform: { width, format: query.includes('png') ? 'PNG' : 'WEBP' } });
      const first = await get(t, imageUrl);
      expect([first.statusCode, first.headers['x-rendition-cache']]).toEqual([200, 'miss']);
      expect(await sharp(first.rawPayload).metadata()).toMatchObject({ width, height });
      const again = await get(t, `/api/v1/assets/${id}/image?${query}`, key);
      expect([again.statusCode, again.headers['x-rendition-cache']]).toEqual([200, 'hit']);
      expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    }
    expect((await t.storedFiles()).filter((file) => file.startsWith('renditions/'))).toHaveLength(2);

    // Without URL_SIGNING_SECRET the secret is the database's: what another process reads (even
    // several starting at once) is the one this app signs with, so its URLs work on every process.
    const secrets = await Promise.all(Array.from({ length: 4 }, () => loadSigningSecret(t.database.db, undefined)));
    expect(new Set(secrets).size).toBe(1);
    const path = `/api/v1/assets/${photo.id}/image`;
    expect((await get(t, createSigner(secrets[0]).sign(path, 'w=60'))).statusCode).toBe(200);
    expect((await get(t, createSigner(secret).sign(path, 'w=60'))).statusCode).toBe(403);
  });

  it('answers 503 with Retry-After past RENDITION_QUEUE_LIMIT, and renders again once a slot is free', async () => {
    const key = await t.newKey();
    const large = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    const image = await createFromFile(t, key, 'image', large, 'noise.png');
    const responses = await Promise.all([1200, 1201, 1202, 1203].map((width) => get(t, `/api/v1/assets/${image.id}/image?w=${width}&format=avif&q=90`, key)));
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(503);
    const busy = responses.find((response) => response.statusCode === 503)!;
    expect([busy.headers['retry-after'], busy.json().error]).toEqual(['1', 'Service unavailable']);
    expect((await get(t, `/api/v1/assets/${image.id}/image?w=10`, key)).statusCode).toBe(200);
    // RENDITION_MAX_OUTPUT_PIXELS (here 1,000,000): 1001 × 1000 is refused, naming w.
    const tooLarge = await get(t, `/api/v1/assets/${image.id}/image?w=1001&h=1000&fit=fill&enlarge=true`, key);
    expect([tooLarge.statusCode, tooLarge.json().field]).toEqual([400, 'w']);
    expect((await get(t, `/api/v1/assets/${image.id}/image?w=1000&h=1000&fit=fill&enlarge=true&format=jpeg`, key)).statusCode).toBe(200);
  });

  // Last: it spends the IP's budget of keyless calls, which a key not yet verified is checked against too.
  it('counts signed URLs fetched without a key apart from the per-IP budget of keyless calls (a page of <img>), but forged ones in it', async () => {
    const key = await t.newKey();
    const image = await createFromFile(t, key, 'image', await makePng(20, 20), 'small.png');
    const { imageUrl } = await urls(t, key, image.id, { transform: { width: 10 } });
    // Three keyless calls a minute (RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE; an earlier test's forged
    // signature may have spent one), yet ten signed fetches pass and leave that budget as it was.
    for (let i = 0; i < 10; i++) expect((await get(t, imageUrl)).statusCode).toBe(200);
    // A forged signature is no way around it: each one spends it like a keyless call, until 429.
    const forged = imageUrl.replace(/sig=[\w-]{43}/, `sig=${'A'.repeat(43)}`);
    const statuses = [];
    while (statuses.at(-1) !== 429 && statuses.length < 4) statuses.push((await get(t, forged)).statusCode);
    expect(statuses.slice(0, 2)).toEqual([403, 403]);
    expect(statuses.slice(2)).toEqual(statuses.length === 3 ? [429] : [403, 429]);
    expect((await get(t, `/api/v1/assets/${image.id}/image?w=10`)).statusCode).toBe(429);
    expect((await get(t, imageUrl)).statusCode).toBe(200);
  });
});
