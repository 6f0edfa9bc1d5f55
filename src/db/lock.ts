import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';

export class DataDirLockedError extends Error {
  constructor(dir: string, owner: number | null) {
    const holder = owner
      ? `is already open in another process (pid ${owner}: a running server or CLI)`
      : 'is already open in another process, or being opened by one';
    super(
      `The embedded database in ${dir} ${holder}. Stop it first, or point DATA_DIR elsewhere, ` +
        `or set DATABASE_URL to use a PostgreSQL server that many processes can share.`,
    );
    this.name = 'DataDirLockedError';
  }
}

const lockOptions = { stale: 10_000, update: 2_000, realpath: false };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process, one connection: a second process on the same files corrupts them.
 * The lock (proper-lockfile's `<dir>.lock`) is refreshed while we live, and `<dir>.owner` names
 * the process holding it. A holder killed with kill -9 leaves both behind: when the named process
 * is gone, the lock is taken over at once instead of after the 10 s it takes to go stale.
 * Taking over starts by renaming the owner file, which only one process can do, so two
 * processes starting together after a crash cannot both take the lock.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const ownerFile = `${dir}.owner`;
  const acquire = async () => {
    const release = await lockfile.lock(dir, lockOptions);
    await writeFile(ownerFile, String(process.pid));
    return async () => {
      await rm(ownerFile, { force: true });
      await release();
    };
  };
  try {
    return await acquire();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') throw error;
  }
  const owner = Number((await readFile(ownerFile, 'utf8').catch(() => '')).trim()) || null;
  if (!owner || owner === process.pid || isAlive(owner)) throw new DataDirLockedError(dir, owner);
  const claimed = `${ownerFile}.${process.pid}`;
  try {
    await rename(ownerFile, claimed);
  } catch {
    throw new DataDirLockedError(dir, null);
  }
  try {
    await rm(`${dir}.lock`, { recursive: true, force: true });
    return await acquire();
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') throw new DataDirLockedError(dir, null);
    throw error;
  } finally {
    await rm(claimed, { force: true });
  }
}
