import lockfile from 'proper-lockfile';

export class DataDirLockedError extends Error {
  constructor(dir: string) {
    super(
      `The embedded database in ${dir} is already open in another process ` +
        `(a running server or CLI). Stop it first, or point DATA_DIR elsewhere, ` +
        `or set DATABASE_URL to use a PostgreSQL server that many processes can share.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * PGlite is one process, one connection: a second process on the same files corrupts them.
 * The lock is refreshed while we live and goes stale if we die, so a crash never locks
 * the data dir for good.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(dir, { stale: 10_000, update: 2_000, realpath: false });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') throw new DataDirLockedError(dir);
    throw error;
  }
}
