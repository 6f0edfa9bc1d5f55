import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { Unreadable } from './extract.ts';

/**
 * A zip archive (docx, odt) read in the parsing worker. A part is inflated as it streams, and
 * yauzl stops it as soon as it yields more than the size it declares; every part read is charged
 * its declared size against `budget` before it is inflated. So however the archive lies, at most
 * `budget` bytes are ever inflated, a chunk at a time: an inflated part is never held as bytes,
 * only as the text decoded from it, which lives on the worker's bounded heap.
 *
 * `exists` and `read` are the interface mammoth reads a .docx through (its `file` input).
 */
export interface Archive {
  /** Each part's name and the size it declares. */
  readonly parts: ReadonlyMap<string, number>;
  exists(name: string): boolean;
  /** A part's text in `encoding`, or its bytes without one. */
  read(name: string, encoding?: string): Promise<string | Uint8Array>;
  close(): void;
}

export async function openArchive(path: string, budget: number, tooLarge: () => Unreadable): Promise<Archive> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => (error ? reject(new Unreadable()) : resolve(zip))),
  );
  const entries = new Map<string, Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.once('end', resolve);
      zip.once('error', () => reject(new Unreadable()));
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw error;
  }

  let left = budget;
  const stream = (entry: Entry) =>
    new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (error, stream) => (error ? reject(new Unreadable()) : resolve(stream))));
  return {
    parts: new Map([...entries].map(([name, entry]) => [name, entry.uncompressedSize])),
    exists: (name) => entries.has(name),
    async read(name, encoding) {
      const entry = entries.get(name);
      if (!entry) throw new Unreadable();
      if (entry.uncompressedSize > left) throw tooLarge();
      left -= entry.uncompressedSize;
      const chunks: Buffer[] = [];
      const decoder = encoding && encoding !== 'base64' ? new TextDecoder(encoding) : undefined;
      let text = '';
      try {
        for await (const chunk of await stream(entry)) {
          if (decoder) text += decoder.decode(chunk as Buffer, { stream: true });
          else chunks.push(chunk as Buffer);
        }
      } catch {
        throw new Unreadable();
      }
      if (decoder) return text + decoder.decode();
      const bytes = Buffer.concat(chunks);
      return encoding === 'base64' ? bytes.toString('base64') : bytes;
    },
    close: () => zip.close(),
  };
}
