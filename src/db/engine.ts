import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { lockDataDir } from './lock.ts';

/** Shared buffers of the embedded database (PostgreSQL's own default is 128MB). */
export const pgliteSharedBuffers = '16MB';

/**
 * Where the data lives: an embedded PGlite in a data dir, or a PostgreSQL server.
 * Both are handed to Prisma (queries) and the schema engine (migrations) as the same
 * driver-adapter factory, so one code path serves both.
 */
export interface DatabaseEngine {
  kind: 'pglite' | 'postgres';
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
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
    return { kind: 'postgres', adapterFactory: new PrismaPg(pool), close: () => pool.end() };
  }
  const inMemory = !options.dataDir || options.dataDir === 'memory://';
  let release = async () => {};
  let location = 'memory://';
  if (!inMemory) {
    location = join(options.dataDir!, 'pglite');
    await mkdir(location, { recursive: true });
    release = await lockDataDir(location);
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
    // the full bench (from 366-375), for the same throughput (bench/RESULTS.md).
    const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${pgliteSharedBuffers}`];
    const pglite = await PGlite.create(location, { extensions: { pg_trgm }, startParams });
    return {
      kind: 'pglite',
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
