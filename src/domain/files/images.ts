import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Metadata, SharpInput } from 'sharp';
import { EndOfStreamError, fromStream, type ITokenizer } from 'strtok3';
import { StringType, UINT8, UINT32_BE } from 'token-types';
import { type ExtractLimits, Unreadable, type WorkerMetadata } from './extract.ts';
import { type Placeholder, readPlaceholder } from './placeholders.ts';

/**
 * Images are read in the parsing worker (./extract-worker.ts), under its deadline and its cap on
 * concurrent parsers. libvips' memory is native: the worker's heap limit does not see it, so an
 * image is decoded only if what its decoder must hold fits EXTRACT_MEMORY_MB, as estimated from
 * its header before any pixel is decoded.
 */

type SharpModule = typeof import('sharp').default;
let sharpModule: Promise<SharpModule> | undefined;

/** sharp, loaded once per worker. */
export function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import('sharp').then(({ default: sharp }) => {
    // One libvips thread and no operation cache (both process-wide): thumbnails are occasional, memory is shared.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

const sampleBytes: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4, complex: 8, double: 8, dpcomplex: 16 };

/**
 * The bytes per pixel a decoder holds when it cannot read the image in bands, from the frame's
 * own size (channels × sample size), rounded up from what `node bench/image-memory.mjs` measured:
 * an AVIF's AV1 frames and their conversion to RGB ×7 (6.4); a TIFF's strip or tile, which may be
 * the whole image (a scanner's single strip) ×2.5 (2.35); a progressive JPEG's coefficients ×2.25
 * (2.09); an interlaced PNG's passes ×1.5 (1.44); a GIF's RGBA canvas and its copy, 7 bytes
 * whatever its colours (6.1). Other JPEGs and WebP are shrunk as they are decoded and other PNGs
 * read a row at a time: a thumbnail never holds their full frame (0).
 */
export function heldBytesPerPixel(info: Metadata): number {
  const frame = info.channels * (sampleBytes[info.depth] ?? 1);
  switch (info.format) {
    case 'heif':
      return 7 * frame;
    case 'tiff':
      return 2.5 * frame;
    case 'jpeg':
      return info.isProgressive ? 2.25 * frame : 0;
    case 'png':
      return info.isProgressive ? 1.5 * frame : 0;
    case 'gif':
      return 7;
    case 'webp':
      return 0;
    default:
      throw new Unreadable();
  }
}

/**
 * Whether the file runs to its end marker: libvips accepts a PNG cut in its last chunks (or
 * anywhere, when interlaced), a GIF without its trailer, and, depending on how much of it a
 * shrinking decode reads, a JPEG cut short. PNG and GIF are walked block by block.
 */
async function isWhole(path: string, format: string | undefined): Promise<boolean> {
  if (format === 'jpeg') return jpegEnds(path);
  if (format !== 'png' && format !== 'gif') return true;
  const file = await fromStream(createReadStream(path));
  const skip = async (length: number) => {
    if ((await file.ignore(length)) < length) throw new EndOfStreamError();
  };
  try {
    return await (format === 'png' ? pngIsWhole(file, skip) : gifIsWhole(file, skip));
  } catch (error) {
    if (error instanceof EndOfStreamError) return false;
    throw error;
  } finally {
    await file.close();
  }
}

/** A JPEG ends with its EOI marker (FF D9); some writers pad the file with zero bytes after it. */
async function jpegEnds(path: string): Promise<boolean> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const tail = Buffer.alloc(Math.min(size, 4096));
    await file.read(tail, 0, tail.length, size - tail.length);
    let end = tail.length;
    while (end > 0 && tail[end - 1] === 0) end--;
    return end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9;
  } finally {
    await file.close();
  }
}

const chunkType = new StringType(4, 'latin1');

/** Signature, then chunks (length, type, data, CRC) up to IEND. */
async function pngIsWhole(file: ITokenizer, skip: (length: number) => Promise<void>): Promise<boolean> {
  await skip(8);
  for (;;) {
    const length = await file.readNumber(UINT32_BE);
    const type = await file.readToken(chunkType);
    await skip(length + 4);
    if (type === 'IEND') return true;
  }
}

/** Header and screen descriptor, colour table, then extensions and images (each ending in a chain of sub-blocks) up to the trailer. */
async function gifIsWhole(file: ITokenizer, skip: (length: number) => Promise<void>): Promise<boolean> {
  const colourTable = (flags: number) => (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  await skip(10);
  await skip(2 + colourTable(await file.readNumber(UINT8)));
  for (;;) {
    const block = await file.readNumber(UINT8);
    if (block === 0x3b) return true;
    if (block === 0x21) {
      await skip(1); // extension label
    } else if (block === 0x2c) {
      await skip(8); // image position and size
      await skip(colourTable(await file.readNumber(UINT8)) + 1); // local colour table, LZW code size
    } else {
      return false;
    }
    for (let size = await file.readNumber(UINT8); size > 0; size = await file.readNumber(UINT8)) await skip(size);
  }
}

/** A WebP `width` pixels wide (never enlarged), turned upright by its EXIF orientation. */
async function webp(sharp: SharpModule, input: SharpInput, width: number, limits: ExtractLimits): Promise<Buffer> {
  // libvips works outside the worker's JavaScript: stopping the worker at its deadline would not stop it.
  const timeout = { seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) };
  return sharp(input, { limitInputPixels: limits.maxImagePixels, failOn: 'error', autoOrient: true })
    .resize({ width, withoutEnlargement: true })
    .webp({ quality: 80 })
    .timeout(timeout)
    .toBuffer();
}

/**
 * Width and height as displayed (EXIF orientations 5-8 turn the picture a quarter) and the
 * thumbnail. Decoding the whole image proves it readable: a corrupt or lying image fails here.
 */
export async function readImage(path: string, thumbnailWidth: number, limits: ExtractLimits): Promise<WorkerMetadata> {
  const sharp = await loadSharp();
  const info = await sharp(path, { limitInputPixels: false })
    .metadata()
    .catch(() => {
      throw new Unreadable();
    });
  if (!info.width || !info.height) throw new Unreadable();
  const pixels = info.width * info.height;
  if (pixels > limits.maxImagePixels) {
    throw new Unreadable(`The image declares ${info.width}×${info.height} pixels, more than the ${limits.maxImagePixels} allowed`);
  }
  const held = pixels * heldBytesPerPixel(info);
  if (held > limits.memoryMb * 1024 * 1024) {
    throw new Unreadable(`The image (${info.width}×${info.height} pixels) needs more than ${limits.memoryMb} MB to decode`);
  }
  if (!(await isWhole(path, info.format))) throw new Unreadable('The file could not be read: it is truncated');
  const thumbnail = await webp(sharp, path, thumbnailWidth, limits).catch(() => {
    throw new Unreadable();
  });
  return { width: info.autoOrient.width, height: info.autoOrient.height, thumbnail, placeholder: await placeholderOf(thumbnail, limits) };
}

/** The placeholder, read from the thumbnail (upright, already small): none when it cannot be read. */
export function placeholderOf(thumbnail: Uint8Array, limits: ExtractLimits): Promise<Placeholder | undefined> {
  return readPlaceholder(thumbnail, limits).catch(() => undefined);
}

/** A PDF's first page (a PNG pdfjs drew), as the same WebP thumbnail; none when it fails. */
export async function pageThumbnail(png: Uint8Array, thumbnailWidth: number, limits: ExtractLimits): Promise<Buffer | undefined> {
  return webp(await loadSharp(), png, thumbnailWidth, limits).catch(() => undefined);
}
