import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A disk the gateway writes to (uploads, thumbnails, the embedded database) with less free space
 * than this counts as full: /readyz says so and a start warns. A small write may still fit, but a
 * thumbnail or an upload of any size is not sure to.
 */
export const fullBelowBytes = 1024 * 1024;

/**
 * Bytes that may still be written on the disk holding `path`, or on that of its nearest existing
 * parent (where it would be created); null when none can be read.
 */
export async function freeBytes(path: string): Promise<number | null> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const info = await statfs(dir);
      return info.bavail * info.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) return null;
    }
  }
}

export async function isFull(path: string): Promise<boolean> {
  const free = await freeBytes(path);
  return free !== null && free < fullBelowBytes;
}
