import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { freeBytes, fullBelowBytes } from '../disk.ts';
import { DataDirLockedError, lockDataDir } from './lock.ts';
import { keepReserve, pgliteReserveBytes, releaseReserveIfFull } from './reserve.ts';
import { observePool } from '../metrics.ts';

/** Shared buffers of the embedded database (PostgreSQL's own default is 128MB). */
export const pgliteSharedBuffers = '16MB';

/**
 * Where the data lives: an embedded PGlite in a data dir, or a PostgreSQL server.
 * Both are handed to Prisma (queries) and the schema engine (migrations) as the same
 * driver-adapter factory, so one code path serves both.
 */
export interface DatabaseEngine {
  kind: 'pglite' | 'postgres';
  /** The server's URL (postgres only): a connection of its own LISTENs for events (src/events/wakeups.ts). */
  databaseUrl?: string;
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
  /** The embedded database found its disk full and gave up its reserve to start (./reserve.ts). */
  startedOnFullDisk?: boolean;
}

/** The embedded database's folder in DATA_DIR. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

export interface EngineOptions {
  databaseUrl?: string;
  /** Data dir for PGlite; `memory://` keeps it in memory (tests, scratch diffs). */
  dataDir?: string;
  poolSize?: number;
}

export async function openEngine(options: EngineOptions): Promise<DatabaseEngine> {
  if (options.databaseUrl) {
    // Our own pool, so that close() can end it (an idle pool keeps the process alive).
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    const unobserve = observePool(pool);
    return {
      kind: 'postgres',
      databaseUrl: options.databaseUrl,
      adapterFactory: new PrismaPg(pool),
      close: () => {
        unobserve();
        return pool.end();
      },
    };
  }
  const inMemory = !options.dataDir || options.dataDir === 'memory://';
  let release = async () => {};
  let location = 'memory://';
  let startedOnFullDisk = false;
  if (!inMemory) {
    location = pgliteDir(options.dataDir!);
    try {
      await mkdir(location, { recursive: true });
      // Before the lock, whose own files need a few bytes.
      startedOnFullDisk = await releaseReserveIfFull(`${location}.reserve`);
      release = await lockDataDir(location);
    } catch (error) {
      throw await explainFullDisk(error, location);
    }
  }
  try {
    // Loaded only when used: PGlite costs ~45 MB of memory a server on PostgreSQL has no use for.
    const [{ PGlite }, { pg_trgm }, { PrismaPGlite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('pglite-prisma-adapter'),
    ]);
    // PostgreSQL's default 128 MB of shared buffers live inside PGlite's WASM memory, so they are
    // resident once touched; the OS page cache already holds the data files. On the 100k-asset
    // bench set 32 MB took the gateway's peak RSS from ~420 to ~335 MB, and 16 MB to ~320 under
    // the full bench (from 366-375), for the same throughput (bench/RESULTS-archive.md).
    const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${pgliteSharedBuffers}`];
    const pglite = await PGlite.create(location, { extensions: { pg_trgm }, startParams }).catch(async (error: unknown) => {
      throw inMemory ? error : await explainFullDisk(error, location);
    });
    if (!inMemory) await keepReserve(`${location}.reserve`);
    return {
      kind: 'pglite',
      startedOnFullDisk,
      adapterFactory: new PrismaPGlite(pglite),
      close: async () => {
        await pglite.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** PGlite's failure to start says only `Aborted()`, the lock's a bare ENOSPC; on a full disk, say so instead. */
async function explainFullDisk(error: unknown, location: string): Promise<unknown> {
  if (error instanceof DataDirLockedError) return error;
  const free = await freeBytes(location);
  if (free === null || free >= fullBelowBytes) return error;
  return new Error(
    `The embedded database in ${location} cannot start: its disk is full (${free} bytes free). ` +
      `Free some space; once there is room it keeps a ${pgliteReserveBytes / 1024 / 1024} MB reserve (${location}.reserve) so that a start on a full disk can still serve reads.`,
  );
}
