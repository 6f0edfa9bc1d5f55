import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { type Archive, openArchive } from './archive.ts';
import {
  type ExtractJob,
  type ExtractLimits,
  type PageJob,
  thumbnailWidth as defaultThumbnailWidth,
  Unreadable,
  type WorkerMessage,
  type WorkerMetadata,
} from './extract.ts';
import { loadSharp, pageThumbnail, placeholderOf, readImage } from './images.ts';
import { TextKeeper } from './text.ts';
import { countWords, WordCounter } from './words.ts';
import { parserOf, type Parser } from './formats.ts';

/**
 * Runs in a worker thread (./extract.ts starts it with a heap limit and a deadline, and
 * terminates it when either is passed): the parsers here read untrusted bytes.
 */

/** The most a document's text parts (XML) may inflate to, all together: what is actually inflated, not what the zip declares. */
const maxDocumentXmlBytes = 48 * 1024 * 1024;
/**
 * The most a video parser may read at once. mediabunny reads an MP4's whole movie box (its index;
 * by estimate ~10 MB for three hours at 60 fps: ~650,000 samples of ~16 bytes in its tables) into
 * ArrayBuffers, which the worker's heap limit does not see.
 */
const maxVideoReadBytes = 32 * 1024 * 1024;
/** Beyond this a video's width or height is a corrupt header, not a picture (8K is 7680). */
const maxVideoSide = 65_535;

async function pdf(path: string, thumbnailWidth: number | null, limits: ExtractLimits): Promise<WorkerMetadata> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';
  const data = new Uint8Array(await readFile(path));
  started();
  const document = await pdfjs.getDocument({ data, isEvalSupported: false, stopAtErrors: true, verbosity: 0, standardFontDataUrl }).promise;
  let words = 0;
  const kept = new TextKeeper(limits.textLimitBytes, true);
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
    words += countWords(text);
    kept.add(text);
    page.cleanup();
  }
  // A PDF whose first page does not render still gets its metadata, without a thumbnail.
  const page = thumbnailWidth === null ? undefined : await renderFirstPage(document, thumbnailWidth).catch(() => undefined);
  const pageCount = document.numPages;
  await document.destroy();
  const thumbnail = page && thumbnailWidth !== null ? await pageThumbnail(page, thumbnailWidth, limits) : undefined;
  const placeholder = thumbnail ? await placeholderOf(thumbnail, limits) : undefined;
  return { pageCount, wordCount: words, thumbnail, placeholder, text: kept.text() };
}

type PdfDocument = import('pdfjs-dist/types/src/display/api.js').PDFDocumentProxy;

/** The first page as a PNG `width` pixels wide (pdfjs draws on @napi-rs/canvas in Node). */
function renderFirstPage(document: PdfDocument, width: number) {
  return renderPage(document, 1, (pageWidth) => width / pageWidth);
}

/**
 * One page as a PNG, at the scale that covers the rendition's box: a page is drawn, not shrunk, so
 * it is as sharp at 2000 px as at 200. Without a box, at 2× (144 dpi); never above `maxPixels`.
 */
async function renderRendition(path: string, job: PageJob): Promise<WorkerMetadata> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = `${join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`;
  const data = new Uint8Array(await readFile(path));
  started();
  const document = await pdfjs.getDocument({ data, isEvalSupported: false, stopAtErrors: true, verbosity: 0, standardFontDataUrl }).promise;
  try {
    if (job.number > document.numPages) throw new Unreadable();
    const pageImage = await renderPage(
      document,
      job.number,
      (pageWidth, pageHeight) => {
        const byWidth = job.width ? job.width / pageWidth : undefined;
        const byHeight = job.height ? job.height / pageHeight : undefined;
        let scale = 2;
        if (byWidth && byHeight) scale = job.fit === 'cover' || job.fit === 'fill' ? Math.max(byWidth, byHeight) : Math.min(byWidth, byHeight);
        else scale = byWidth ?? byHeight ?? 2;
        return Math.min(scale, Math.sqrt(job.maxPixels / (pageWidth * pageHeight)));
      },
      true,
    );
    return { pageImage };
  } finally {
    await document.destroy();
  }
}

/** `round`: the canvas's size rounded to the nearest pixel (a rendition's exact size), else up (the thumbnail's, as it always was). */
async function renderPage(document: PdfDocument, number: number, scaleOf: (width: number, height: number) => number, round = false) {
  const page = await document.getPage(number);
  const unscaled = page.getViewport({ scale: 1 });
  const viewport = page.getViewport({ scale: scaleOf(unscaled.width, unscaled.height) });
  const { createCanvas } = await import('@napi-rs/canvas');
  const size = round ? Math.round : Math.ceil;
  const canvas = createCanvas(Math.max(1, size(viewport.width)), Math.max(1, size(viewport.height)));
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  return canvas.toBuffer('image/png');
}

/** A docx or odt, refused before anything is inflated when its text parts declare more than the limit (an honest zip bomb). */
async function openDocument(path: string): Promise<Archive> {
  const tooLarge = () => new Unreadable(`The document's text expands to more than ${maxDocumentXmlBytes / 1024 / 1024} MB`);
  const archive = await openArchive(path, maxDocumentXmlBytes, tooLarge);
  let declared = 0;
  for (const [name, size] of archive.parts) if (/\.(xml|rels)$/i.test(name)) declared += size;
  if (declared > maxDocumentXmlBytes) {
    archive.close();
    throw tooLarge();
  }
  return archive;
}

/** A document's text, counted and kept (one page: these formats have no fixed pages). */
function documentText(text: string, limits: ExtractLimits): WorkerMetadata {
  const kept = new TextKeeper(limits.textLimitBytes, false);
  kept.add(text);
  return { wordCount: countWords(text), text: kept.text() };
}

async function docx(path: string, limits: ExtractLimits): Promise<WorkerMetadata> {
  const archive = await openDocument(path);
  try {
    const mammoth = await import('mammoth');
    started();
    // mammoth reads the parts through `file` (its own archive interface, not in its typings), so within the budget.
    const extractRawText = mammoth.default.extractRawText as unknown as (input: { file: Archive }) => Promise<{ value: string }>;
    const { value } = await extractRawText({ file: archive });
    return documentText(value, limits);
  } finally {
    archive.close();
  }
}

async function odt(path: string, limits: ExtractLimits): Promise<WorkerMetadata> {
  const archive = await openDocument(path);
  try {
    started();
    if (!archive.exists('content.xml')) throw new Unreadable();
    const content = (await archive.read('content.xml', 'utf-8')) as string;
    const body = content.replace(/<\/text:(p|h)>|<text:(tab|line-break|s)\b[^>]*\/>/g, ' ').replace(/<[^>]+>/g, '');
    const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    const text = body.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => entities[name]);
    return documentText(text, limits);
  } finally {
    archive.close();
  }
}

async function text(path: string, limits: ExtractLimits): Promise<WorkerMetadata> {
  started();
  const counter = new WordCounter();
  const kept = new TextKeeper(limits.textLimitBytes, false);
  const decoder = new TextDecoder('utf-8');
  const read = (chunk: string) => {
    counter.push(chunk);
    if (!kept.full) kept.add(chunk);
  };
  for await (const chunk of createReadStream(path)) read(decoder.decode(chunk as Buffer, { stream: true }));
  read(decoder.decode());
  return { wordCount: counter.total(), text: kept.text() };
}

async function media(path: string, video: boolean): Promise<WorkerMetadata> {
  const { parseFile } = await import('music-metadata');
  started();
  const { format } = await parseFile(path, { duration: true, skipCovers: true });
  const track = video ? format.trackInfo?.find((t) => t.video?.pixelWidth && t.video?.pixelHeight)?.video : undefined;
  return timedMedia(format.duration, track?.pixelWidth, track?.pixelHeight);
}

/** A duration, and a size when the container gives one, checked: a header can claim anything. */
function timedMedia(durationSeconds: number | undefined, width?: number, height?: number): WorkerMetadata {
  if (durationSeconds === undefined || !Number.isFinite(durationSeconds) || durationSeconds <= 0) throw new Unreadable();
  if (width === undefined || height === undefined) return { durationSeconds };
  const side = (n: number) => Number.isInteger(n) && n >= 1 && n <= maxVideoSide;
  if (!side(width) || !side(height)) throw new Unreadable(`The video claims a size of ${width}×${height} pixels`);
  return { durationSeconds, width, height };
}

/**
 * Video through mediabunny: MP4, MOV, WebM, Matroska, Ogg, MPEG-TS. Duration from the packets'
 * timestamps, so a browser's recording (a WebM written as it streams, or a fragmented MP4, with
 * no duration in its header) has one too; size as displayed (a phone's portrait video, stored
 * landscape with a 90° rotation, is taller than wide). music-metadata times only an MP4's audio
 * track, reads no MP4 size and fails on a streamed WebM: it is left the containers mediabunny does
 * not read (WMV, AVI, FLV …), and a video neither can time is refused.
 */
async function video(path: string): Promise<WorkerMetadata> {
  const { ALL_FORMATS, Input, StreamSource } = await import('mediabunny');
  started();
  const file = await open(path);
  const size = (await file.stat()).size;
  const source = new StreamSource({
    getSize: () => size,
    read: async (start, end) => {
      if (end - start > maxVideoReadBytes) throw new Unreadable(`The video's index takes more than ${maxVideoReadBytes / 1024 / 1024} MB`);
      const bytes = new Uint8Array(end - start);
      await file.read(bytes, 0, bytes.length, start);
      return bytes;
    },
    prefetchProfile: 'fileSystem',
  });
  const input = new Input({ source, formats: ALL_FORMATS });
  try {
    if (!(await input.canRead())) return await media(path, true);
    const durationSeconds = await input.computeDuration();
    const track = await input.getPrimaryVideoTrack();
    if (!track) return timedMedia(durationSeconds);
    return timedMedia(durationSeconds, await track.getDisplayWidth(), await track.getDisplayHeight());
  } finally {
    input.dispose();
    await file.close();
  }
}

let announced = false;
/** Tells ./extract.ts that the parser is loaded: its deadline starts now (once). */
function started() {
  if (announced) return;
  announced = true;
  parentPort!.postMessage({ kind: 'started' } satisfies WorkerMessage);
}

async function image(path: string, thumbnailWidth: number | null, limits: ExtractLimits): Promise<WorkerMetadata> {
  await loadSharp();
  started();
  return readImage(path, thumbnailWidth ?? defaultThumbnailWidth, limits);
}

const parsers: Record<Parser, (job: ExtractJob) => Promise<WorkerMetadata>> = {
  pdf: ({ path, thumbnailWidth, limits }) => pdf(path, thumbnailWidth, limits),
  image: ({ path, thumbnailWidth, limits }) => image(path, thumbnailWidth, limits),
  docx: ({ path, limits }) => docx(path, limits),
  odt: ({ path, limits }) => odt(path, limits),
  text: ({ path, limits }) => text(path, limits),
  audio: ({ path }) => media(path, false),
  video: ({ path }) => video(path),
};

async function run(job: ExtractJob): Promise<WorkerMetadata> {
  if (job.page) return renderRendition(job.path, job.page);
  const parser = parserOf(job.mime);
  if (parser) return parsers[parser](job);
  started();
  return {};
}

/** Parses the job's file and posts the result. Started at once, unless the TypeScript loader must be unhooked first (./extract.ts). */
export async function main() {
  try {
    const metadata = await run(workerData as ExtractJob);
    parentPort!.postMessage({ kind: 'done', metadata } satisfies WorkerMessage);
  } catch (error) {
    // Parser messages may hold paths or internals: only our own messages go out.
    parentPort!.postMessage({ kind: 'failed', message: error instanceof Unreadable && error.message ? error.message : undefined } satisfies WorkerMessage);
  }
}

if (!(workerData as ExtractJob).deferStart) await main();
