import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { pgliteDir } from '../db/engine.ts';
import { isFull } from '../disk.ts';
import type { Files } from '../domain/files/index.ts';

/**
 * What GET /readyz answers: `{"status":"ready"}`, or `{"status":"unavailable"}` with one entry per
 * dependency that is not, saying how: `database` `down` (it does not answer) or `full` (the embedded
 * database's disk), `storage` `full` (the uploads' disk) or `unreachable` (an object store that
 * does not answer, or refuses).
 */
export interface Readiness {
  status: 'ready' | 'unavailable';
  database?: 'down' | 'full';
  storage?: 'full' | 'unreachable';
}

export async function readiness(db: Db, files: Files, config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Readiness> {
  const embeddedDatabaseDir = config.databaseUrl ? null : pgliteDir(config.dataDir);
  const [database, storage] = await Promise.all([
    db.$queryRaw`SELECT 1`.then(
      async () => (embeddedDatabaseDir && (await isFull(embeddedDatabaseDir)) ? ('full' as const) : undefined),
      () => 'down' as const,
    ),
    files.storage.status().then((state) => (state === 'ok' ? undefined : state)),
  ]);
  if (!database && !storage) return { status: 'ready' };
  return { status: 'unavailable', ...(database && { database }), ...(storage && { storage }) };
}
