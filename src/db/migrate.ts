import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

/**
 * Migrations through Prisma's own schema engine (the WASM build, which works offline and
 * speaks to our driver adapters), in Prisma's standard prisma/migrations layout.
 */

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const schemaPath = join(projectRoot, 'prisma/schema.prisma');
export const migrationsDir = join(projectRoot, 'prisma/migrations');
const lockfileName = 'migration_lock.toml';

type EngineModule = typeof import('@prisma/schema-engine-wasm');
let engineModule: Promise<EngineModule> | undefined;

/** Node 20 cannot import .wasm as a module, so instantiate it by hand, once per process. */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = await import(gluePath);
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue as EngineModule;
  })();
  return engineModule;
}

async function schemaFiles() {
  return [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
}

type MigrationAdapter = Awaited<ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>>;

/**
 * @prisma/adapter-pg runs a migration script by splitting it at every ";", which cuts a
 * PL/pgSQL function body apart. PostgreSQL runs a multi-statement simple query as one
 * transaction, so each script goes to the server whole (and a failed migration leaves nothing
 * half-applied). PGlite's adapter already runs scripts whole.
 */
function withWholeScripts(factory: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  if (factory.adapterName !== '@prisma/adapter-pg') return factory;
  const patch = (adapter: MigrationAdapter) => {
    const driver = (adapter as unknown as { underlyingDriver(): { query(sql: string): Promise<unknown> } }).underlyingDriver();
    adapter.executeScript = async (script: string) => {
      try {
        await driver.query(script);
      } catch (error) {
        (adapter as unknown as { onError(error: unknown): never }).onError(error);
      }
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => patch(await factory.connect()),
    connectToShadowDb: async () => patch(await factory.connectToShadowDb()),
  };
}

async function withSchemaEngine<T>(factory: SqlMigrationAwareDriverAdapterFactory, use: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const files = await schemaFiles();
  const engine = await SchemaEngine.new(
    { datamodels: files.map((f) => [f.path, f.content] as [string, string]) },
    () => {},
    bindMigrationAwareSqlAdapterFactory(withWholeScripts(factory)),
  );
  try {
    return await use(engine);
  } finally {
    engine.free();
  }
}

export async function readMigrations(dir = migrationsDir): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockContent = await readFile(join(dir, lockfileName), 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: lockfileName, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
    ),
  };
}

const noFilters = { externalTables: [], externalEnums: [] };

/**
 * Committed migrations the database has not recorded as applied. Lets a start skip loading the
 * schema engine (seconds of start-up and a large WASM heap kept for the life of the process)
 * when there is nothing to do.
 */
export async function unappliedMigrations(query: (sql: string) => Promise<{ migration_name: string }[]>): Promise<string[]> {
  const committed = (await readMigrations()).migrationDirectories.map((d) => d.path);
  let applied: Set<string>;
  try {
    const rows = await query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    applied = new Set(rows.map((r) => r.migration_name));
  } catch {
    return committed; // no _prisma_migrations table yet: a new database
  }
  return committed.filter((name) => !applied.has(name));
}

/** Applies every committed migration not yet applied; idempotent. Returns the names applied. */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const migrationsList = await readMigrations();
  return withSchemaEngine(factory, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return appliedMigrationNames;
  });
}

/**
 * SQL that takes a database holding exactly the committed migrations to the Prisma schema,
 * or null when they already agree. The migrations are replayed into a scratch in-memory
 * PGlite, because the WASM engine cannot open a shadow database for PostgreSQL.
 */
export async function pendingSchemaChange(): Promise<string | null> {
  const { openEngine } = await import('./engine.ts');
  const scratch = await openEngine({ dataDir: 'memory://' });
  try {
    await applyMigrations(scratch.adapterFactory);
    const files = await schemaFiles();
    return await withSchemaEngine(scratch.adapterFactory, async (engine) => {
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: projectRoot },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters: noFilters,
      });
      return result.exitCode === 2 ? (result.stdout ?? '') : null;
    });
  } finally {
    await scratch.close();
  }
}
