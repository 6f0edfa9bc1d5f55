import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isFull } from '../../../disk.ts';
import type { FileStorage, ResumableStore } from './index.ts';
import { Measure } from './measure.ts';
import { resumableArea, resumableStore } from './resumable.ts';

/** How much a put writes at once: chunks queued while a write runs go down together (writev). */
const writeBufferBytes = 1024 * 1024;
/** How much of a file a put lets the page cache hold before asking the disk to write it (see `writeback`). */
const writebackBytes = 64 * 1024 * 1024;

/**
 * Starts an fdatasync of `handle` each time `writebackBytes` more have been written, one at a time
 * and without waiting for it: the disk writes while the rest of the upload arrives, and the fsync
 * that ends the put has only the tail left (Linux otherwise holds a whole 1 GiB upload in the page
 * cache until that fsync). `settled` waits for the last one and throws its failure, which a later
 * fsync on the same file may no longer report.
 */
function writeback(handle: FileHandle) {
  let requested = 0;
  let running: Promise<void> | null = null;
  let failure: unknown = null;
  return {
    written(size: number) {
      if (running || size - requested < writebackBytes) return;
      requested = size;
      running = handle
        .datasync()
        .catch((error: unknown) => void (failure ??= error))
        .finally(() => (running = null));
    },
    async settled() {
      await running;
      if (failure) throw failure;
    },
  };
}

/** Files under `root`; each is written to a temporary name in `root/.tmp` and renamed once complete. */
export function localDiskStorage(root: string): FileStorage {
  const base = resolve(root);
  const tmpDir = join(base, '.tmp');
  let resumable: Promise<ResumableStore> | undefined;
  const pathOf = (key: string) => {
    const path = resolve(base, key);
    // Keys are ours, but a storage that could be pointed outside its folder would be one bug away from it.
    if (!/^[a-z0-9][a-z0-9./-]*$/.test(key) || key.includes('..') || !path.startsWith(base + sep)) {
      throw new Error(`Invalid storage key`);
    }
    return path;
  };

  return {
    async put(key, source, observe) {
      const target = pathOf(key);
      await mkdir(tmpDir, { recursive: true });
      await mkdir(dirname(target), { recursive: true });
      const temp = join(tmpDir, randomUUID());
      try {
        const handle = await open(temp, 'wx');
        const synced = writeback(handle);
        const measure = new Measure((chunk, size) => {
          observe?.(chunk, size);
          synced.written(size);
        });
        // flush: the bytes are on disk (fsync) before the file gets its name, so a crash never leaves a partial file under a key.
        await pipeline([
          source instanceof Readable ? source : Readable.from(source),
          measure,
          handle.createWriteStream({ flush: true, highWaterMark: writeBufferBytes }),
        ]);
        await synced.settled();
        await rename(temp, target);
        return { key, size: measure.bytes, sha256: measure.hash.digest('hex') };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    open(key, range) {
      return createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {});
    },
    async stat(key) {
      try {
        const info = await stat(pathOf(key));
        return { size: info.size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async withLocalFile(key, use) {
      return use(pathOf(key));
    },
    async removeStaleTemporary(olderThanMs) {
      const names = await readdir(tmpDir).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names) {
        const info = await stat(join(tmpDir, name)).catch(() => null);
        if (info && Date.now() - info.mtimeMs > olderThanMs) {
          await rm(join(tmpDir, name), { force: true });
          removed++;
        }
      }
      return removed;
    },
    async status() {
      return (await isFull(base)) ? 'full' : 'ok';
    },
    // The folder is made by the first put; a disk that cannot take it answers that put (507 when full).
    async verify() {},
    resumable(expirationMs) {
      resumable ??= import('@tus/file-store').then(async ({ FileStore }) => {
        // An upload is two files: its bytes (<name>) and its state (<name>.json).
        const directory = join(base, resumableArea);
        await mkdir(directory, { recursive: true });
        const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: expirationMs });
        return resumableStore({
          datastore,
          idOf: (name) => name,
          remove: (name) => datastore.remove(name).catch(() => rm(join(directory, `${name}.json`), { force: true })),
          listNames: async () =>
            (await readdir(directory).catch(() => [] as string[])).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5)),
        });
      });
      return resumable;
    },
  };
}
