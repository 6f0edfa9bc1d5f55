import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import { StorageUnavailableError, storageFullCode, TimeoutError, TooLargeError, ValidationError } from '../errors.ts';
import { claimPeriod } from '../periodic.ts';
import type { Files } from './index.ts';
import { HeadCapture, sniffType } from './sniff.ts';

export const maxFileNameLength = 255;
/** An upload's `file_path` is `/uploads/<uuid>.<extension>`: anything longer names none. */
export const maxFilePathLength = 255;

/**
 * The client's file name as data for Content-Disposition: its last path segment, without
 * control characters, at most 255 characters. It never becomes a path: files are stored under
 * generated keys.
 */
export function cleanFileName(name: string | null | undefined): string | null {
  if (!name) return null;
  const last = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = [...last.normalize('NFC').replace(/[\u0000-\u001F\u007F-\u009F]/g, '')].slice(0, maxFileNameLength).join('').trim();
  return clean && clean !== '.' && clean !== '..' ? clean : null;
}

/** A file as a client sent it: its name (data only) and its bytes, read once. */
export interface FileUpload {
  name?: string | null;
  stream(): Readable | AsyncIterable<Uint8Array>;
}

/** The upload's stream failed on the client's side (disconnected, body cut short). */
export class UploadInterrupted extends ValidationError {
  constructor() {
    super('file', 'The upload was interrupted before the file was complete');
  }
}

/**
 * Stores an uploaded file for `workspaceId`: streamed to storage (size and SHA-256 measured on
 * the way, never held in memory), its type sniffed from its first bytes, recorded in `uploads`.
 * A stream that fails (client gone, size limit) leaves no file behind.
 */
export async function receiveUpload(db: Db, files: Files, workspaceId: string, file: FileUpload) {
  const id = randomUUID();
  const key = `files/${id}`;
  const head = new HeadCapture();
  const source = file.stream();
  let sourceError: unknown = null;
  if (source instanceof Readable) source.once('error', (error) => (sourceError = error));
  const limit = files.uploadLimitBytes;
  // Fails the stream as soon as it passes the limit: the rest is never read.
  const observe = (chunk: Buffer, size: number) => {
    if (size > limit) throw new TooLargeError(`The file is larger than ${limit} bytes`);
    head.add(chunk);
  };
  const stored = await files.storage.put(key, source as AsyncIterable<Buffer>, observe).catch((error: unknown) => {
    // The failure is the server's when the disk is full or the store unavailable, whatever the client's stream did after it.
    if (error instanceof TooLargeError || error instanceof StorageUnavailableError || storageFullCode(error)) throw error;
    // The body's deadline (src/http/timeouts.ts), or a refusal of the form around the file (the REST upload route).
    if (sourceError instanceof TimeoutError || sourceError instanceof ValidationError) throw sourceError;
    throw sourceError ? new UploadInterrupted() : error;
  });
  try {
    if (stored.size === 0) throw new ValidationError('file', 'The file is empty');
    const type = await sniffType(head.head);
    return await db.upload.create({
      data: {
        id,
        workspaceId,
        filePath: `/uploads/${id}.${type.ext}`,
        storageKey: key,
        originalName: cleanFileName(file.name),
        fileSize: stored.size,
        mimeType: type.mime,
        checksumSha256: stored.sha256,
      },
    });
  } catch (error) {
    await files.storage.delete(key);
    throw error;
  }
}

/**
 * Deletes uploads never attached to an asset within `uploadTtlHours`: the row first (so that
 * a create racing the sweep either attaches it before, or finds it gone), then the bytes. While
 * the store is unreachable nothing is deleted, so that no row goes without its bytes going too.
 */
export async function sweepUploads(db: Db, files: Files, now = new Date()): Promise<number> {
  if ((await files.storage.status()) === 'unreachable') return 0;
  const cutoff = new Date(now.getTime() - files.uploadTtlHours * 3600_000);
  const expired = await db.$queryRaw<{ storage_key: string }[]>`
    DELETE FROM uploads WHERE asset_id IS NULL AND created_at < ${cutoff} RETURNING storage_key`;
  for (const { storage_key } of expired) await files.storage.delete(storage_key);
  return expired.length;
}

/** Removes resumable (tus) uploads older than `uploadTtlHours`: unfinished, or finished but never recorded (a crash). */
export async function sweepResumableUploads(files: Files): Promise<number> {
  if ((await files.storage.status()) === 'unreachable') return 0;
  const ttlMs = files.uploadTtlHours * 3600_000;
  return (await files.storage.resumable(ttlMs)).removeExpired(ttlMs);
}

export const sweepIntervalMs = 3600_000;

/**
 * One period's sweep, unless another process sharing the database has swept within the hour:
 * unattached uploads and unfinished resumable ones past their time, and partial files a crash left (older than a day, so that
 * no upload in progress is touched). Resolves with the uploads deleted, or null when the period
 * was another process's.
 */
export async function sweepUploadsOncePerPeriod(db: Db, files: Files): Promise<number | null> {
  if (!(await claimPeriod(db, 'upload sweep', sweepIntervalMs))) return null;
  const [deleted] = await Promise.all([sweepUploads(db, files), files.storage.removeStaleTemporary(24 * 3600_000), sweepResumableUploads(files)]);
  return deleted;
}

/**
 * Sweeps now and then every hour, once across the processes sharing the database; `on.swept` hears
 * of each sweep this process ran. Returns a stop function, which resolves once a sweep under way ends.
 */
export function scheduleUploadSweeps(db: Db, files: Files, on: { swept(deleted: number): void; error(error: unknown): void }): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = sweepUploadsOncePerPeriod(db, files).then(
      (deleted) => void (deleted !== null && on.swept(deleted)),
      (error) => on.error(error),
    );
  };
  sweep();
  const timer = setInterval(sweep, sweepIntervalMs);
  timer.unref();
  // A stop waits for a sweep under way: it may still be writing in the store (or the database).
  return () => {
    clearInterval(timer);
    return running;
  };
}
