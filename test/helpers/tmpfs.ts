import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real file system of a fixed size, for the full-disk tests: a tmpfs mounted on a folder of its
 * own. Mounting needs root (CAP_SYS_ADMIN), which the development machines and CI have.
 */
export interface SmallDisk {
  dir: string;
  unmount(): Promise<void>;
}

export async function mountSmallDisk(sizeBytes: number, options = ''): Promise<SmallDisk> {
  const dir = await mkdtemp(join(tmpdir(), 'ag-small-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}${options ? `,${options}` : ''}`, 'tmpfs', dir]);
  } catch (error) {
    await rmdir(dir).catch(() => {});
    throw error;
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Why a tmpfs cannot be mounted here, or null when it can (tried once, on a 64 KiB one). */
export async function whyNoSmallDisk(): Promise<string | null> {
  try {
    await (await mountSmallDisk(64 * 1024)).unmount();
    return null;
  } catch (error) {
    return `cannot mount a tmpfs (needs root): ${((error as { stderr?: string }).stderr || (error as Error).message).trim()}`;
  }
}

/** Writes `path` until the disk has no byte left (then files of one byte take the last partial blocks). */
export async function fillDisk(path: string): Promise<void> {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  try {
    for (;;) await handle.write(chunk.subarray(0, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}
