import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { ValidationError } from '../errors.ts';

/** Metadata read from a file's bytes; only the fields its format has are set. */
export interface FileMetadata {
  pageCount?: number;
  wordCount?: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

export interface WorkerMetadata extends FileMetadata {
  /** A PNG of a PDF's first page, for its thumbnail. */
  thumbnail?: Uint8Array;
}

export interface ExtractJob {
  path: string;
  mime: string;
  thumbnailWidth: number;
  /** Set when a bootstrap must run something before the worker starts (see startWorker). */
  deferStart?: boolean;
}

export type WorkerMessage = { kind: 'started' } | { kind: 'done'; metadata: WorkerMetadata } | { kind: 'failed'; message?: string };

export interface ExtractLimits {
  /** How long the parsing of one file may take, once its parser is loaded. */
  timeoutMs: number;
  /** The parsing worker's heap. */
  memoryMb: number;
  maxImagePixels: number;
}

export const thumbnailWidth = 320;
/** Loading a parser (pdfjs, mammoth …) in a fresh worker is not the file's fault: a separate, generous deadline. */
const workerStartTimeoutMs = 30_000;

/** The error every unreadable or hostile file gets: 400 naming file_path / filePath. */
export function unreadableFile(message = 'The file could not be read: it is corrupt or not in the format its content claims') {
  return new ValidationError('filePath', message);
}

/** Width and height as displayed: EXIF orientations 5-8 turn the picture a quarter. */
export async function imageMetadata(path: string, limits: ExtractLimits): Promise<FileMetadata> {
  const info = await sharp(path, { limitInputPixels: false })
    .metadata()
    .catch(() => {
      throw unreadableFile();
    });
  if (!info.width || !info.height) throw unreadableFile();
  if (info.width * info.height > limits.maxImagePixels) {
    throw unreadableFile(`The image declares ${info.width}×${info.height} pixels, more than the ${limits.maxImagePixels} allowed`);
  }
  const turned = (info.orientation ?? 1) >= 5;
  return turned ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
}

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
 * Pages, words, duration … of a stored file, parsed in a worker thread with a heap limit and
 * a deadline: a hostile file (a zip bomb, a PDF that loops) costs at most `memoryMb` and
 * `timeoutMs`, then answers 400, and the server carries on.
 */
export async function extractInWorker(path: string, mime: string, limits: ExtractLimits): Promise<WorkerMetadata> {
  await workerSlots.acquire();
  try {
    return await runWorker(path, mime, limits);
  } finally {
    workerSlots.release();
  }
}

/** At most `maxWorkers` parsing workers at once (each may use EXTRACT_MEMORY_MB); the rest wait their turn. */
const maxWorkers = 2;
const workerSlots = {
  busy: 0,
  waiting: [] as (() => void)[],
  async acquire() {
    if (this.busy < maxWorkers) {
      this.busy++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  },
  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  },
};

function runWorker(path: string, mime: string, limits: ExtractLimits): Promise<WorkerMetadata> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({ path, mime, thumbnailWidth }, limits.memoryMb);
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
