import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExtractJob, WorkerMessage, WorkerMetadata } from './extract.ts';
import { countWords, WordCounter } from './words.ts';

/**
 * Runs in a worker thread (./extract.ts starts it with a heap limit and a deadline, and
 * terminates it when either is passed): the parsers here read untrusted bytes.
 */

class Unreadable extends Error {}

const maxDocumentXmlBytes = 48 * 1024 * 1024;
/**
 * The most a video parser may read at once. mediabunny reads an MP4's whole movie box (its index;
 * by estimate ~10 MB for three hours at 60 fps: ~650,000 samples of ~16 bytes in its tables) into
 * ArrayBuffers, which the worker's heap limit does not see.
 */
const maxVideoReadBytes = 32 * 1024 * 1024;
/** Beyond this a video's width or height is a corrupt header, not a picture (8K is 7680). */
const maxVideoSide = 65_535;

async function pdf(path: string, thumbnailWidth: number): Promise<WorkerMetadata> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';
  const data = new Uint8Array(await readFile(path));
  started();
  const document = await pdfjs.getDocument({ data, isEvalSupported: false, stopAtErrors: true, verbosity: 0, standardFontDataUrl }).promise;
  let words = 0;
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
    words += countWords(text);
    page.cleanup();
  }
  const thumbnail = await renderFirstPage(document, thumbnailWidth).catch(() => undefined);
  const pageCount = document.numPages;
  await document.destroy();
  return { pageCount, wordCount: words, thumbnail };
}

/** The first page as a PNG `width` pixels wide (pdfjs draws on @napi-rs/canvas in Node). */
async function renderFirstPage(document: import('pdfjs-dist/types/src/display/api.js').PDFDocumentProxy, width: number) {
  const page = await document.getPage(1);
  const viewport = page.getViewport({ scale: width / page.getViewport({ scale: 1 }).width });
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  return canvas.toBuffer('image/png');
}

/** Refuses archives whose text parts would inflate past the limit (zip bombs), before inflating them. */
async function openZip(path: string) {
  const { default: JSZip } = await import('jszip');
  const zip = await JSZip.loadAsync(await readFile(path)).catch(() => {
    throw new Unreadable();
  });
  let xmlBytes = 0;
  zip.forEach((name, entry) => {
    if (/\.(xml|rels)$/i.test(name)) xmlBytes += (entry as unknown as { _data?: { uncompressedSize?: number } })._data?.uncompressedSize ?? 0;
  });
  if (xmlBytes > maxDocumentXmlBytes) throw new Unreadable(`The document's text expands to more than ${maxDocumentXmlBytes / 1024 / 1024} MB`);
  return zip;
}

async function docx(path: string): Promise<WorkerMetadata> {
  await openZip(path);
  const mammoth = await import('mammoth');
  started();
  const { value } = await mammoth.default.extractRawText({ path });
  return { wordCount: countWords(value) };
}

async function odt(path: string): Promise<WorkerMetadata> {
  const zip = await openZip(path);
  started();
  const content = await zip.file('content.xml')?.async('string');
  if (content === undefined) throw new Unreadable();
  const body = content.replace(/<\/text:(p|h)>|<text:(tab|line-break|s)\b[^>]*\/>/g, ' ').replace(/<[^>]+>/g, '');
  const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  const text = body.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => entities[name]);
  return { wordCount: countWords(text) };
}

async function text(path: string): Promise<WorkerMetadata> {
  started();
  const counter = new WordCounter();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of createReadStream(path)) counter.push(decoder.decode(chunk as Buffer, { stream: true }));
  counter.push(decoder.decode());
  return { wordCount: counter.total() };
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

async function run({ path, mime, thumbnailWidth }: ExtractJob): Promise<WorkerMetadata> {
  if (mime === 'application/pdf') return pdf(path, thumbnailWidth);
  if (mime === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document') return docx(path);
  if (mime === 'application/vnd.oasis.opendocument.text') return odt(path);
  if (mime === 'text/plain' || mime === 'text/markdown') return text(path);
  if (mime.startsWith('audio/')) return media(path, false);
  if (mime.startsWith('video/')) return video(path);
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
