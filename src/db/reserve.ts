import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { freeBytes, fullBelowBytes } from '../disk.ts';

/**
 * PGlite cannot start on a disk with no byte free: it writes at every start (its relation-cache
 * files, and a checkpoint that may begin a new 16 MB WAL segment), and a failed write there ends
 * in WebAssembly's bare `Aborted()`. So a reserve file of this size is kept beside the data dir
 * while there is room for it, and given up by a start that finds the disk full.
 */
export const pgliteReserveBytes = 20 * 1024 * 1024;

/** Deletes the reserve when the disk is full; says whether it did. */
export async function releaseReserveIfFull(reserve: string): Promise<boolean> {
  const free = await freeBytes(reserve);
  if (free === null || free >= fullBelowBytes) return false;
  const size = (await stat(reserve).catch(() => null))?.size ?? 0;
  if (!size) return false;
  await rm(reserve, { force: true });
  return true;
}

/**
 * Writes the reserve when it is missing and leaves the disk with room; a reserve that cannot be
 * written whole is not kept. Random bytes, so that a compressing file system stores them all.
 */
export async function keepReserve(reserve: string): Promise<void> {
  if ((await stat(reserve).catch(() => null))?.size === pgliteReserveBytes) return;
  const free = await freeBytes(reserve);
  if (free === null || free < pgliteReserveBytes + fullBelowBytes) return;
  const chunk = randomBytes(1024 * 1024);
  const handle = await open(reserve, 'w');
  try {
    for (let written = 0; written < pgliteReserveBytes; written += chunk.length) await handle.write(chunk);
    await handle.datasync();
    await handle.close();
  } catch {
    await handle.close().catch(() => {});
    await rm(reserve, { force: true });
  }
}
