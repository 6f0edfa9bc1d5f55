import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractInWorker } from '../../src/domain/files/extract.ts';
import { makeMp4, makePdf } from '../helpers/files.ts';

/** The worker's deadline and heap limit, each forced to trip on an ordinary PDF. */
describe('metadata extraction limits', () => {
  let dir: string;
  let pdf: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ag-extract-'));
    pdf = join(dir, 'doc.pdf');
    await writeFile(pdf, await makePdf(Array.from({ length: 40 }, (_, i) => [`Page ${i} has some words on it`])));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the PDF within generous limits', async () => {
    const { thumbnail, ...metadata } = await extractInWorker(pdf, 'application/pdf', { timeoutMs: 30_000, memoryMb: 96, maxImagePixels: 1e8 });
    expect(metadata).toEqual({ pageCount: 40, wordCount: 280 });
    expect(thumbnail?.length).toBeGreaterThan(0);
  });

  it('stops a parser past its deadline with a 400-kind error', async () => {
    await expect(extractInWorker(pdf, 'application/pdf', { timeoutMs: 1, memoryMb: 96, maxImagePixels: 1e8 })).rejects.toMatchObject({
      field: 'filePath',
      message: 'The file took longer than 0.001 s to analyse',
    });
  });

  it('refuses a video whose movie box claims 3 GB without reading it', async () => {
    // A real MP4's first box, then a movie box claiming 3 GB, then 70 MB of (sparse) nothing.
    const mp4 = await makeMp4(16, 16, 1, 1);
    const moov = Buffer.alloc(8);
    moov.writeUInt32BE(3 * 1024 ** 3, 0);
    moov.write('moov', 4);
    const hostile = join(dir, 'hostile.mp4');
    await writeFile(hostile, Buffer.concat([mp4.subarray(0, mp4.readUInt32BE(0)), moov]));
    await truncate(hostile, 70 * 1024 * 1024);
    await expect(extractInWorker(hostile, 'video/mp4', { timeoutMs: 30_000, memoryMb: 96, maxImagePixels: 1e8 })).rejects.toMatchObject({
      field: 'filePath',
      message: 'The file could not be read: it is corrupt or not in the format its content claims',
    });
  });

  it('stops a parser that needs more heap than allowed', async () => {
    await expect(extractInWorker(pdf, 'application/pdf', { timeoutMs: 30_000, memoryMb: 16, maxImagePixels: 1e8 })).rejects.toMatchObject({
      field: 'filePath',
      message: 'The file needs more than 16 MB to analyse',
    });
  });
});
