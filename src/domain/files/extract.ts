import { Worker } from 'node:worker_threads';
import { ValidationError } from '../errors.ts';
import type { MetadataColumn } from './formats.ts';
import type { FileText } from './text.ts';
import type { Placeholder } from './placeholders.ts';
import { slots } from './slots.ts';
import { extractionDuration, extractionWorkers, secondsSince } from '../../metrics.ts';
import { inSpan } from '../../tracing.ts';

/** Metadata read from a file's bytes; only the fields its format has are set. */
export type FileMetadata = Partial<Record<MetadataColumn, number>>;

export interface WorkerMetadata extends FileMetadata {
  /** The WebP thumbnail of an image or of a PDF's first page. */
  thumbnail?: Uint8Array;
  /** A PDF's or document's text, capped (./text.ts). */
  text?: FileText;
  /** An image's or a PDF's first page's placeholder (./placeholders.ts). */
  placeholder?: Placeholder;
  /** A rendition's PDF page, drawn as a PNG (ExtractJob.page). */
  pageImage?: Uint8Array;
}

/** A PDF page to draw for a rendition (./renditions.ts), instead of reading the file's metadata. */
export interface PageJob {
  number: number;
  /** The box the rendition fits the page to (either side may be absent), and how. */
  width?: number;
  height?: number;
  fit: 'cover' | 'contain' | 'inside' | 'fill';
  /** The most pixels the drawn page may have. */
  maxPixels: number;
}

export interface ExtractJob {
  path: string;
  mime: string;
  /** null: no thumbnail (a backfill reads only the text). */
  thumbnailWidth: number | null;
  limits: ExtractLimits;
  /** Set when a bootstrap must run something before the worker starts (see startWorker). */
  deferStart?: boolean;
  /** Draw this page of a PDF (a rendition), nothing else. */
  page?: PageJob;
}

export type WorkerMessage = { kind: 'started' } | { kind: 'done'; metadata: WorkerMetadata } | { kind: 'failed'; message?: string };

export interface ExtractLimits {
  /** How long the parsing of one file may take, once its parser is loaded. */
  timeoutMs: number;
  /** The parsing worker's heap, and the most an image's decoder may hold (native memory, estimated from its header). */
  memoryMb: number;
  maxImagePixels: number;
  /** The most text kept for search, in UTF-8 bytes (SEARCH_TEXT_LIMIT_BYTES). */
  textLimitBytes: number;
}

export const thumbnailWidth = 320;
/** Loading a parser (pdfjs, mammoth …) in a fresh worker is not the file's fault: a separate, generous deadline. */
const workerStartTimeoutMs = 30_000;

/** The error every unreadable or hostile file gets: 400 naming file_path / filePath. */
export function unreadableFile(message = 'The file could not be read: it is corrupt or not in the format its content claims') {
  return new ValidationError('filePath', message);
}

/** A parser's refusal in the worker; its message (ours, never a library's) reaches the client. */
export class Unreadable extends Error {}

const workerFile = import.meta.url.endsWith('.ts') ? './extract-worker.ts' : './extract-worker.js';

/**
 * A worker thread for one file. The compiled server runs the JavaScript worker; from sources
 * (tests, `npm run dev`) the worker loads its TypeScript through tsx, then unhooks tsx before
 * parsing, so that the parsers load as plain JavaScript (through tsx, pdfjs alone takes 2 s and
 * ~65 MB more heap).
 */
function startWorker(job: ExtractJob, memoryMb: number): Worker {
  const url = new URL(workerFile, import.meta.url).href;
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };
  if (workerFile.endsWith('.js')) return new Worker(new URL(url), { workerData: job, resourceLimits });
  const bootstrap = `import('tsx/esm/api').then(async ({ register }) => {
    const unregister = register();
    const worker = await import(${JSON.stringify(url)});
    await unregister();
    await worker.main();
  })`;
  return new Worker(bootstrap, { eval: true, workerData: { ...job, deferStart: true }, resourceLimits });
}

/**
 * Pages, words, size, duration, thumbnail … of a stored file, parsed in a worker thread with a
 * heap limit and a deadline: a hostile file (a zip bomb, a PDF that loops, an image bomb) costs
 * at most `memoryMb` and `timeoutMs`, then answers 400, and the server carries on.
 */
export async function extractInWorker(path: string, mime: string, limits: ExtractLimits, options: { thumbnail?: boolean } = {}): Promise<WorkerMetadata> {
  await workerSlots.acquire();
  const start = process.hrtime.bigint();
  const done = (outcome: 'ok' | 'refused') => extractionDuration.observe({ outcome }, secondsSince(start));
  try {
    const job = { path, mime, thumbnailWidth: options.thumbnail === false ? null : thumbnailWidth, limits };
    const metadata = await inSpan('extraction', { 'file.mime_type': mime }, () => runWorker(job));
    done('ok');
    return metadata;
  } catch (error) {
    done('refused');
    throw error;
  }
}

/**
 * A PDF page drawn as a PNG for a rendition, in the same workers as extraction (their heap limit,
 * deadline and cap on workers at once); null when the page cannot be drawn.
 */
export async function drawPdfPage(path: string, page: PageJob, limits: ExtractLimits): Promise<Uint8Array | null> {
  await workerSlots.acquire();
  try {
    const metadata = await runWorker({ path, mime: 'application/pdf', thumbnailWidth: null, limits, page });
    return metadata.pageImage ?? null;
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/**
 * At most `maxWorkers` parsing workers at once (each may use EXTRACT_MEMORY_MB); the rest wait
 * their turn. A slot is freed when its worker has exited, not when it was told to stop: native
 * work (libvips) runs to its own end.
 */
export const maxWorkers = 2;
const workerSlots = slots(maxWorkers, (running, waiting) => {
  extractionWorkers.set({ state: 'running' }, running);
  extractionWorkers.set({ state: 'waiting' }, waiting);
});

function runWorker(job: ExtractJob): Promise<WorkerMetadata> {
  const { limits } = job;
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = startWorker(job, limits.memoryMb);
    } catch (error) {
      workerSlots.release();
      throw error;
    }
    worker.once('exit', () => workerSlots.release());
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timeout = (ms: number) => setTimeout(() => finish(() => reject(unreadableFile(`The file took longer than ${ms / 1000} s to analyse`))), ms);
    let timer = timeout(workerStartTimeoutMs);
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'started') {
        clearTimeout(timer);
        timer = timeout(limits.timeoutMs);
      } else if (message.kind === 'done') {
        finish(() => resolve(message.metadata));
      } else {
        finish(() => reject(unreadableFile(message.message)));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(() => reject(unreadableFile(outOfMemory ? `The file needs more than ${limits.memoryMb} MB to analyse` : undefined)));
    });
    worker.on('exit', () => finish(() => reject(unreadableFile())));
  });
}
