import type { Config } from '../config.ts';
import { createPrismaClient, type Db, type DbOptions } from './client.ts';
import { openEngine, type DatabaseEngine } from './engine.ts';
import { applyMigrations, unappliedMigrations } from './migrate.ts';

export interface Database {
  db: Db;
  engine: DatabaseEngine;
  close(): Promise<void>;
}

const engines = new WeakMap<Db, DatabaseEngine>();

/** The engine a client of openDatabase runs on. */
export function engineOf(db: Db): DatabaseEngine | undefined {
  return engines.get(db);
}

/** Opens the configured database, applies pending migrations, and returns a Prisma client on it. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize'>, options: DbOptions = {}): Promise<Database> {
  const engine = await openEngine({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  const db = createPrismaClient(engine, options);
  try {
    const pending = await unappliedMigrations((sql) => db.$queryRawUnsafe(sql));
    if (pending.length) await applyMigrations(engine.adapterFactory);
  } catch (error) {
    await db.$disconnect();
    await engine.close();
    throw error;
  }
  engines.set(db, engine);
  return {
    db,
    engine,
    close: async () => {
      await db.$disconnect();
      await engine.close();
    },
  };
}
