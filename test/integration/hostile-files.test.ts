import { memoryUsage } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { stores, type TestApp, useTestApp } from '../helpers/app.ts';
import { makeDocx, makeGifDeclaring, makeLyingDocx, makeLyingOdt, makeOdt, makePng } from '../helpers/files.ts';
import { rest, uploadedPath } from '../helpers/rest.ts';

/**
 * Small files that cost the server much memory to read: a zip whose part declares 1,000 bytes
 * and inflates to 1 GiB, a 35-byte GIF declaring 10,000 × 10,000 pixels, and truncated images.
 * The app runs in this process, so its RSS is this process's, sampled every 5 ms while the
 * hostile creates run and once more a second after they are answered.
 */
// A refused file costs at most two parsing workers at once (the cap), each refused before it
// decodes anything: at most its heap (EXTRACT_MEMORY_MB, 96 MB by default) and ~32 MB of its own
// (isolate, tsx, parser code). Before the fixes: +1.1 GB for one such docx, +430 MB per GIF.
const boundMb = 2 * (96 + 32);

/** The app of the store whose tests are running: every test below runs once on each store. */
let t: TestApp;

const rssMb = () => memoryUsage.rss() / 1024 / 1024;

function upload(key: string, content: Buffer, filename: string): Promise<string> {
  return uploadedPath(t.app, key, content, filename);
}

function create(key: string, assetType: string, filePath: string) {
  return rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'hostile', asset_type: assetType, file_path: filePath } });
}

/** Creates one asset per upload, all at once; returns the answers and the RSS growth over the RSS before, at the peak and a second after (also printed). */
async function createAllAtOnce(key: string, assetType: string, filePaths: string[], label: string) {
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 5);
  try {
    const answers = await Promise.all(filePaths.map((filePath) => create(key, assetType, filePath)));
    await sleep(1000);
    const after = rssMb();
    peak = Math.max(peak, after);
    console.info(
      `${label}, ${filePaths.length} at once: RSS ${before.toFixed(0)} MB before, +${(peak - before).toFixed(0)} MB at the peak, +${(after - before).toFixed(0)} MB a second after`,
    );
    return { answers, peakGrowthMb: peak - before, afterGrowthMb: after - before };
  } finally {
    clearInterval(sampler);
  }
}

describe.each(stores)('a hostile file is refused within a stated memory bound, on %s', (store) => {
  // A deadline that a loaded machine cannot reach: these files must be refused for what they are, not for being slow.
  const app = useTestApp({ EXTRACT_TIMEOUT_MS: '60000' }, store);
  let key: string;
  beforeAll(async () => {
    t = app;
    key = await t.newKey();
    // The first document and image load their parsers' code into the process once: not the hostile file's cost.
    for (const [type, content, name] of [
      ['document', await makeDocx(['warm up']), 'warm.docx'],
      ['document', await makeOdt(['warm up']), 'warm.odt'],
      ['image', await makePng(64, 64), 'warm.png'],
    ] as const) {
      expect((await create(key, type, await upload(key, content, name))).status).toBe(201);
    }
  });

  it.each([
    ['a docx', 'hostile.docx', makeLyingDocx],
    ['an odt', 'hostile.odt', makeLyingOdt],
  ])('%s whose text part declares 1,000 bytes and inflates to 1 GiB, once and twice at once', async (label, name, make) => {
    const bomb = make();
    expect(bomb.length).toBeLessThan(1.1 * 1024 * 1024);
    for (const count of [1, 2]) {
      const paths = await Promise.all(Array.from({ length: count }, () => upload(key, bomb, name)));
      const { answers, peakGrowthMb, afterGrowthMb } = await createAllAtOnce(key, 'document', paths, `${label} bomb`);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 400, body: { error: 'Validation failed', field: 'file_path' } });
        expect(answer.body.message).toMatch(/could not be read/);
      }
      expect(peakGrowthMb, `${count} at once: RSS grew by ${peakGrowthMb.toFixed(0)} MB at the peak`).toBeLessThan(boundMb);
      expect(afterGrowthMb, `${count} at once: RSS grew by ${afterGrowthMb.toFixed(0)} MB a second after`).toBeLessThan(boundMb);
    }
  });

  it('a 35-byte GIF declaring 10,000 × 10,000 pixels, once and four at once', async () => {
    const bomb = makeGifDeclaring(10_000, 10_000);
    for (const count of [1, 4]) {
      const paths = await Promise.all(Array.from({ length: count }, () => upload(key, bomb, 'bomb.gif')));
      const { answers, peakGrowthMb, afterGrowthMb } = await createAllAtOnce(key, 'image', paths, 'GIF bomb');
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 400, body: { error: 'Validation failed', field: 'file_path' } });
        expect(answer.body.message).toBe('The image (10000×10000 pixels) needs more than 96 MB to decode');
      }
      expect(peakGrowthMb, `${count} at once: RSS grew by ${peakGrowthMb.toFixed(0)} MB at the peak`).toBeLessThan(boundMb);
      expect(afterGrowthMb, `${count} at once: RSS grew by ${afterGrowthMb.toFixed(0)} MB a second after`).toBeLessThan(boundMb);
    }
    // The same bomb within the budget is a (blank) picture like any other.
    const small = await create(key, 'image', await upload(key, makeGifDeclaring(100, 80), 'small.gif'));
    expect(small).toMatchObject({ status: 201, body: { data: { width: 100, height: 80, mime_type: 'image/gif' } } });
  });

  it('a truncated PNG, interlaced PNG, JPEG or GIF answers 400 naming file_path', async () => {
    const noise = () => sharp({ create: { width: 300, height: 200, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
    const png = await noise().png().toBuffer();
    const interlaced = await noise().png({ progressive: true }).toBuffer();
    const jpeg = await noise().jpeg().toBuffer();
    const gif = await noise().gif().toBuffer();
    const cut = (file: Buffer, bytes: number) => file.subarray(0, file.length - bytes);
    const cases: [string, Buffer][] = [
      ['PNG without its IEND chunk', cut(png, 12)],
      ['PNG cut in its image data', png.subarray(0, png.length / 2)],
      ['interlaced PNG cut in its image data', cut(interlaced, 100)],
      ['JPEG without its end marker', cut(jpeg, 2)],
      ['GIF without its trailer', cut(gif, 1)],
      ['GIF cut in its image data', cut(gif, 100)],
    ];
    for (const [label, content] of cases) {
      const answer = await create(key, 'image', await upload(key, content, 'cut'));
      expect(answer, label).toMatchObject({ status: 400, body: { error: 'Validation failed', field: 'file_path' } });
      expect(answer.body.message, label).toMatch(/could not be read/);
    }
    // Whole, each is read.
    for (const [label, content] of [
      ['PNG', png],
      ['interlaced PNG', interlaced],
      ['JPEG', jpeg],
      ['GIF', gif],
    ] as const) {
      const answer = await create(key, 'image', await upload(key, content, 'whole'));
      expect(answer, label).toMatchObject({ status: 201, body: { data: { width: 300, height: 200 } } });
    }
  });
});
