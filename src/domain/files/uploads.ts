import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import { TimeoutError, TooLargeError, ValidationError } from '../errors.ts';
import type { Files } from './index.ts';
import { HeadCapture, sniffType } from './sniff.ts';

export const maxFileNameLength = 255;

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
    if (error instanceof TooLargeError) throw error;
    if (sourceError instanceof TimeoutError) throw sourceError; // the body's deadline (src/http/timeouts.ts)
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
 * a create racing the sweep either attaches it before, or finds it gone), then the bytes.
 */
export async function sweepUploads(db: Db, files: Files, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - files.uploadTtlHours * 3600_000);
  const expired = await db.$queryRaw<{ storage_key: string }[]>`
    DELETE FROM uploads WHERE asset_id IS NULL AND created_at < ${cutoff} RETURNING storage_key`;
  for (const { storage_key } of expired) await files.storage.delete(storage_key);
  return expired.length;
}

export const sweepIntervalMs = 3600_000;

/**
 * Sweeps now and then every hour: unattached uploads past their time, and partial files a crash
 * left (older than a day, so that no upload in progress is touched). Returns a stop function.
 */
export function scheduleUploadSweeps(db: Db, files: Files, onError: (error: unknown) => void): () => void {
  const sweep = () => Promise.all([sweepUploads(db, files), files.storage.removeStaleTemporary(24 * 3600_000)]).catch(onError);
  void sweep();
  const timer = setInterval(() => void sweep(), sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
