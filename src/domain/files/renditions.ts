import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import { renditionDuration, renditionRequests, renditionSlots, secondsSince } from '../../metrics.ts';
import { storageFullCode, ValidationError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { drawPdfPage } from './extract.ts';
import { loadSharp } from './images.ts';
import type { Files } from './index.ts';
import { slots } from './slots.ts';

/**
 * Renditions: an image asset, or a page of a PDF asset, resized and encoded on request
 * (GET /api/v1/assets/{id}/image), made once and kept in the file store under the source's
 * checksum and the normalised parameters, so that a repeat is read from the store. Images are
 * drawn by sharp in its own thread pool (libuv's, off the event loop), PDF pages by pdfjs in the
 * extraction workers; at most RENDITION_CONCURRENCY at once per process, RENDITION_QUEUE_LIMIT
 * waiting, each within RENDITION_TIMEOUT_MS, none larger than RENDITION_MAX_OUTPUT_PIXELS.
 */

export const fits = ['cover', 'contain', 'inside', 'fill'] as const;
export type Fit = (typeof fits)[number];
export const outputFormats = ['webp', 'avif', 'jpeg', 'png'] as const;
export type OutputFormat = (typeof outputFormats)[number];
export type RequestedFormat = OutputFormat | 'auto';

/** The largest width or height a client may ask for. */
export const maxSide = 4096;
export const defaultFit: Fit = 'cover';
export const defaultFormat: RequestedFormat = 'webp';
/** Encoder quality when `q` is not given. */
export const defaultQuality: Record<OutputFormat, number> = { webp: 80, avif: 55, jpeg: 80, png: 100 };
const mimeTypes: Record<OutputFormat, string> = { webp: 'image/webp', avif: 'image/avif', jpeg: 'image/jpeg', png: 'image/png' };

export interface RenditionParams {
  width?: number;
  height?: number;
  fit: Fit;
  format: RequestedFormat;
  quality?: number;
  page: number;
  enlarge: boolean;
}

/** The query parameters of a rendition, by name: the REST route's, also what a signed URL carries. */
export const renditionQueryNames = { width: 'w', height: 'h', fit: 'fit', format: 'format', quality: 'q', page: 'page', enlarge: 'enlarge' } as const;
type ParamName = keyof typeof renditionQueryNames;

/** Where the REST route reads a rendition from: its query string (the signature's `exp` and `sig` are read by the route). */
export function parseRenditionQuery(query: Record<string, unknown>): RenditionParams {
  const known = new Set<string>([...Object.values(renditionQueryNames), 'exp', 'sig']);
  for (const name of Object.keys(query)) if (!known.has(name)) throw new ValidationError(name, `Unknown parameter ${name}`);
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new ValidationError(name, `${name} must be given once`);
    return value;
  };
  const integer = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d{1,6}$/.test(value)) throw new ValidationError(name, `${name} must be an integer`);
    return Number(value);
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]): T | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!values.includes(value as T)) throw new ValidationError(name, `${name} must be one of ${values.join(', ')}`);
    return value as T;
  };
  const enlarge = oneOf('enlarge', ['true', 'false'] as const);
  return checkRendition(
    {
      width: integer('w'),
      height: integer('h'),
      fit: oneOf('fit', fits) ?? defaultFit,
      format: oneOf('format', [...outputFormats, 'auto'] as const) ?? defaultFormat,
      quality: integer('q'),
      page: integer('page') ?? 1,
      enlarge: enlarge === 'true',
    },
    (name) => renditionQueryNames[name],
  );
}

/** The integer parameters' ranges, in JSON Schema's words: the REST query schema and GraphQL's input rules read them too. */
export const renditionRanges = {
  width: { minimum: 1, maximum: maxSide },
  height: { minimum: 1, maximum: maxSide },
  quality: { minimum: 1, maximum: 100 },
  page: { minimum: 1, maximum: 100_000 },
} as const;

/** The ranges every face checks (a refusal names the parameter as the face spells it). */
export function checkRendition(params: RenditionParams, nameOf: (name: ParamName) => string): RenditionParams {
  for (const [name, { minimum, maximum }] of Object.entries(renditionRanges) as [keyof typeof renditionRanges, { minimum: number; maximum: number }][]) {
    const value = params[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= minimum && value <= maximum)) {
      throw new ValidationError(nameOf(name), `${nameOf(name)} must be an integer from ${minimum} to ${maximum}`);
    }
  }
  return params;
}

/**
 * The normalised query: the parameters that differ from their defaults, in one order, so that
 * `?h=200&w=100` and `?w=100&h=200&fit=cover` are one rendition, one signature and one cache entry.
 */
export function renditionQuery(params: RenditionParams): string {
  const parts: string[] = [];
  if (params.width !== undefined) parts.push(`w=${params.width}`);
  if (params.height !== undefined) parts.push(`h=${params.height}`);
  if (params.fit !== defaultFit) parts.push(`fit=${params.fit}`);
  if (params.format !== defaultFormat) parts.push(`format=${params.format}`);
  if (params.quality !== undefined) parts.push(`q=${params.quality}`);
  if (params.page !== 1) parts.push(`page=${params.page}`);
  if (params.enlarge) parts.push('enlarge=true');
  return parts.join('&');
}

/**
 * `auto`: the best format the request's Accept header names (AVIF, then WebP; wildcards admit
 * neither, as browsers list the formats they decode), else PNG for a source that may be
 * transparent (PNG, GIF, WebP, AVIF) and JPEG for any other.
 */
export function negotiateFormat(accept: string | undefined, sourceMime: string): OutputFormat {
  const admitted = new Set<string>();
  for (const part of (accept ?? '').split(',')) {
    const [type, ...options] = part.trim().toLowerCase().split(';');
    const q = options.map((option) => option.trim()).find((option) => option.startsWith('q='));
    if (q && !(Number(q.slice(2)) > 0)) continue;
    admitted.add(type.trim());
  }
  if (admitted.has('image/avif')) return 'avif';
  if (admitted.has('image/webp')) return 'webp';
  return /^image\/(png|gif|webp|avif)$/.test(sourceMime) ? 'png' : 'jpeg';
}

/** An asset a rendition may be made of, or null (unknown, deleted, a malformed id). */
export interface RenditionSource {
  isPublic: boolean;
  assetType: string;
  mimeType: string | null;
  width: number | null;
  height: number | null;
  pageCount: number | null;
  upload: { storageKey: string; checksumSha256: string } | null;
}

export async function findRenditionSource(db: Db, assetId: string): Promise<RenditionSource | null> {
  if (!isUuid(assetId)) return null;
  const found = await db.asset.findFirst({
    where: { id: assetId, deletedAt: null },
    select: {
      isPublic: true,
      assetType: true,
      mimeType: true,
      width: true,
      height: true,
      pageCount: true,
      upload: { select: { storageKey: true, checksumSha256: true } },
    },
  });
  return found;
}

/** Whether the asset can be rendered with these parameters: an image or a PDF with a file, an existing page (400 naming the field otherwise). */
export function checkSource(source: RenditionSource, params: RenditionParams, nameOf: (name: 'page') => string = () => 'page') {
  if (source.assetType !== 'image' && source.assetType !== 'pdf') {
    throw new ValidationError('assetType', `Only image and pdf assets have renditions; this one is ${source.assetType}`);
  }
  if (!source.upload || !source.mimeType) throw new ValidationError('assetType', 'This asset has no file to render');
  checkPage(source, params, nameOf);
}

/** The page asked for exists: an image has one, a PDF its pageCount. GraphQL checks it too, so as not to mint a URL that could only answer 400. */
export function checkPage(asset: { assetType: string; pageCount: number | null }, params: RenditionParams, nameOf: (name: 'page') => string) {
  if (asset.assetType === 'image' && params.page !== 1) throw new ValidationError(nameOf('page'), 'An image has one page: page must be 1');
  if (asset.assetType === 'pdf' && asset.pageCount !== null && params.page > asset.pageCount) {
    throw new ValidationError(nameOf('page'), `page must be from 1 to ${asset.pageCount}, the PDF's pages`);
  }
}

/** A rendition to serve: where it is (or will be) stored, its type and its validator. */
export interface Rendition {
  key: string;
  format: OutputFormat;
  mimeType: string;
  etag: string;
}

/** The stored rendition of a source for these parameters and this format (`auto` already resolved). */
export function renditionOf(checksum: string, params: RenditionParams, format: OutputFormat): Rendition {
  const quality = params.quality ?? defaultQuality[format];
  const name = [
    params.width ? `w${params.width}` : 'w',
    params.height ? `h${params.height}` : 'h',
    params.fit,
    `q${format === 'png' ? 100 : quality}`,
    `p${params.page}`,
    params.enlarge ? 'e' : 'n',
  ].join('-');
  const key = `renditions/${checksum}/${name}.${format}`;
  return { key, format, mimeType: mimeTypes[format], etag: `"${createHash('sha256').update(key).digest('hex').slice(0, 40)}"` };
}

/** 503 with Retry-After: every render slot is busy and RENDITION_QUEUE_LIMIT requests already wait. */
export class RenditionsBusyError extends Error {
  constructor() {
    super('The server is busy making other renditions; retry in a moment');
  }
}

/** 503: the render took longer than RENDITION_TIMEOUT_MS. */
export class RenditionTimeoutError extends Error {
  constructor(ms: number) {
    super(`The rendition took longer than ${ms / 1000} s to make`);
  }
}

export interface RenditionLimits {
  concurrency: number;
  queueLimit: number;
  timeoutMs: number;
  maxOutputPixels: number;
}

/** This process's render slots and the renders in flight (one per rendition key, shared by the requests that want it). */
export class Renderer {
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private readonly slots;

  constructor(readonly limits: RenditionLimits) {
    this.slots = slots(limits.concurrency, (running, waiting) => {
      renditionSlots.set({ state: 'running' }, running);
      renditionSlots.set({ state: 'waiting' }, waiting);
    });
  }

  /** Runs `work` in a slot; refuses at once when every slot is busy and the queue is full. */
  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.slots.running >= this.limits.concurrency && this.slots.waiting >= this.limits.queueLimit) throw new RenditionsBusyError();
    await this.slots.acquire();
    try {
      return await work();
    } finally {
      this.slots.release();
    }
  }

  /** The rendition's bytes made once, whoever else asks for it meanwhile. */
  make(key: string, work: () => Promise<Buffer>): Promise<Buffer> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const made = this.slot(work).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, made);
    return made;
  }
}

/** The stored rendition (a hit) or the one just made and stored (a miss). */
export type Served = { cache: 'hit'; size: number; open(): Readable } | { cache: 'miss'; bytes: Buffer };

/**
 * The rendition's bytes: read from the store when it was made before; otherwise made (in a slot),
 * stored, and timed in rendition_duration_seconds (whose count is the renders made).
 */
export async function serveRendition(files: Files, source: RenditionSource, params: RenditionParams, rendition: Rendition): Promise<Served> {
  const stored = await files.storage.stat(rendition.key);
  if (stored) {
    renditionRequests.inc({ cache: 'hit' });
    return { cache: 'hit', size: stored.size, open: () => files.storage.open(rendition.key) };
  }
  renditionRequests.inc({ cache: 'miss' });
  const bytes = await files.renderer.make(rendition.key, async () => {
    const start = process.hrtime.bigint();
    try {
      const made = await render(files, source, params, rendition.format);
      // On a full disk the rendition is served all the same, unstored (made again next time).
      await files.storage.put(rendition.key, Readable.from([made])).catch((error: unknown) => {
        if (!storageFullCode(error)) throw error;
      });
      renditionDuration.observe({ format: rendition.format, outcome: 'ok' }, secondsSince(start));
      return made;
    } catch (error) {
      renditionDuration.observe({ format: rendition.format, outcome: 'failed' }, secondsSince(start));
      throw error;
    }
  });
  return { cache: 'miss', bytes };
}

/** The output's size as sharp will make it (for the cap on output pixels). */
export function outputSize(source: { width: number; height: number }, params: RenditionParams, vector: boolean): { width: number; height: number } {
  const { width: sw, height: sh } = source;
  let { width, height } = params;
  if (width === undefined && height === undefined) {
    const scale = Math.min(1, maxSide / sw, maxSide / sh);
    return { width: Math.round(sw * scale), height: Math.round(sh * scale) };
  }
  if (width !== undefined && height !== undefined) {
    if (params.fit === 'inside') {
      const scale = Math.min(width / sw, height / sh);
      ({ width, height } = { width: Math.round(sw * scale), height: Math.round(sh * scale) });
    }
  } else if (width !== undefined) height = Math.max(1, Math.round((sh * width) / sw));
  else width = Math.max(1, Math.round((sw * height!) / sh));
  if (!vector && !params.enlarge && (width! > sw || height! > sh)) return { width: Math.min(width!, sw), height: Math.min(height!, sh) };
  return { width: width!, height: height! };
}

function checkOutput(size: { width: number; height: number }, maxOutputPixels: number) {
  if (size.width * size.height > maxOutputPixels) {
    throw new ValidationError('w', `The rendition would have ${size.width}×${size.height} pixels, more than the ${maxOutputPixels} allowed`);
  }
}

async function render(files: Files, source: RenditionSource, params: RenditionParams, format: OutputFormat): Promise<Buffer> {
  const { limits } = files.renderer;
  const sharp = await loadSharp();
  const timeout = { seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) };
  const vector = source.assetType === 'pdf';
  const encode = async (path: string | Buffer) => {
    const image = sharp(path, { limitInputPixels: files.limits.maxImagePixels, failOn: 'error', autoOrient: true });
    if (vector) {
      const { width, height } = await image.metadata();
      checkOutput(outputSize({ width: width!, height: height! }, params, true), limits.maxOutputPixels);
    }
    const resized =
      params.width === undefined && params.height === undefined
        ? image.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
        : image.resize({
            width: params.width,
            height: params.height,
            fit: params.fit,
            withoutEnlargement: !vector && !params.enlarge,
            background: { r: 255, g: 255, b: 255, alpha: format === 'jpeg' ? 1 : 0 },
          });
    const quality = params.quality ?? defaultQuality[format];
    const encoded =
      format === 'webp'
        ? resized.webp({ quality })
        : format === 'avif'
          ? resized.avif({ quality, effort: 2 })
          : format === 'jpeg'
            ? resized.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: true })
            : resized.png();
    return encoded
      .timeout(timeout)
      .toBuffer()
      .catch((error: Error) => {
        if (/timeout/i.test(error.message)) throw new RenditionTimeoutError(limits.timeoutMs);
        throw error;
      });
  };
  if (!vector) {
    if (source.width && source.height) checkOutput(outputSize({ width: source.width, height: source.height }, params, false), limits.maxOutputPixels);
    return files.storage.withLocalFile(source.upload!.storageKey, (path) => encode(path));
  }
  const page = await files.storage.withLocalFile(source.upload!.storageKey, (path) =>
    drawPdfPage(
      path,
      {
        number: params.page,
        width: params.width,
        height: params.height,
        fit: params.fit,
        maxPixels: Math.min(files.limits.maxImagePixels, limits.maxOutputPixels),
      },
      { ...files.limits, timeoutMs: limits.timeoutMs },
    ),
  );
  if (!page) throw new ValidationError('page', `Page ${params.page} of this PDF could not be drawn`);
  return encode(Buffer.from(page));
}

/** The REST path of an asset's image route (src/rest/v1/routes/files.ts). */
export function imagePath(assetId: string): string {
  return `/api/v1/assets/${assetId}/image`;
}
