import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractInWorker } from '../../src/domain/files/extract.ts';
import { makeMp4, makePdf, makeWebm } from '../helpers/files.ts';

/** The worker's deadline and heap limit, each forced to trip on an ordinary PDF, and the video parser's own limits. */
describe('metadata extraction limits', () => {
  const limits = { timeoutMs: 30_000, memoryMb: 96, maxImagePixels: 1e8, textLimitBytes: 256 * 1024 };
  let dir: string;
  let pdf: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ag-extract-'));
    pdf = join(dir, 'doc.pdf');
    await writeFile(pdf, await makePdf(Array.from({ length: 40 }, (_, i) => [`Page ${i} has some words on it`])));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the PDF within generous limits', async () => {
    const { thumbnail, placeholder, ...metadata } = await extractInWorker(pdf, 'application/pdf', limits);
    const pages = Array.from({ length: 40 }, (_, i) => `Page ${i} has some words on it`);
    expect(metadata).toEqual({ pageCount: 40, wordCount: 280, text: { paged: true, pages } });
    expect(placeholder).toEqual({ thumbhash: expect.any(String), dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/) });
    expect(thumbnail?.length).toBeGreaterThan(0);
  });

  it('keeps at most SEARCH_TEXT_LIMIT_BYTES of text, cut between characters, and still counts every word', async () => {
    const { text, wordCount } = await extractInWorker(pdf, 'application/pdf', { ...limits, textLimitBytes: 40 }, { thumbnail: false });
    expect(wordCount).toBe(280);
    expect(text).toEqual({ paged: true, pages: ['Page 0 has some words on it', 'Page 1 has so', ...Array(38).fill('')] });
    const utf8 = join(dir, 'accents.txt');
    await writeFile(utf8, 'é'.repeat(10));
    expect((await extractInWorker(utf8, 'text/plain', { ...limits, textLimitBytes: 5 })).text).toEqual({ paged: false, pages: ['éé'] });
  });

  it('stops a parser past its deadline with a 400-kind error', async () => {
    await expect(extractInWorker(pdf, 'application/pdf', { ...limits, timeoutMs: 1 })).rejects.toMatchObject({
      field: 'filePath',
      message: 'The file took longer than 0.001 s to analyse',
    });
  });

  it('refuses a video whose index would be read whole into memory the heap limit does not see', async () => {
    // A real MP4 whose movie box carries 40 MB of padding: mediabunny reads the box in one piece.
    const mp4 = await makeMp4(16, 16, 1, 1);
    const moovAt = mp4.indexOf('moov') - 4;
    const moovSize = mp4.readUInt32BE(moovAt);
    const padding = Buffer.alloc(40 * 1024 * 1024);
    padding.writeUInt32BE(padding.length, 0);
    padding.write('free', 4);
    const moov = Buffer.concat([mp4.subarray(moovAt, moovAt + moovSize), padding]);
    moov.writeUInt32BE(moov.length, 0);
    const padded = join(dir, 'padded.mp4');
    await writeFile(padded, Buffer.concat([mp4.subarray(0, moovAt), moov, mp4.subarray(moovAt + moovSize)]));
    await expect(extractInWorker(padded, 'video/mp4', limits)).rejects.toMatchObject({ field: 'filePath', message: "The video's index takes more than 32 MB" });
    // The same clip unpadded is read.
    const plain = join(dir, 'plain.mp4');
    await writeFile(plain, mp4);
    await expect(extractInWorker(plain, 'video/mp4', limits)).resolves.toMatchObject({ durationSeconds: 1, width: 16, height: 16 });
  });

  it('refuses a video whose header claims an impossible size (it would overflow the column)', async () => {
    const huge = join(dir, 'huge.webm');
    await writeFile(huge, await makeWebm(3_000_000_000, 240, 1));
    await expect(extractInWorker(huge, 'video/webm', limits)).rejects.toMatchObject({
      field: 'filePath',
      message: 'The video claims a size of 3000000000×240 pixels',
    });
  });

  it('stops a parser that needs more heap than allowed', async () => {
    await expect(extractInWorker(pdf, 'application/pdf', { ...limits, memoryMb: 16 })).rejects.toMatchObject({
      field: 'filePath',
      message: 'The file needs more than 16 MB to analyse',
    });
  });
});
