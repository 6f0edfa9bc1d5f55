import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openEngine } from '../db/engine.ts';
import { applyMigrations, migrationsDir, pendingSchemaChange } from '../db/migrate.ts';
import { runCommand } from './run.ts';

/**
 *   npm run db:migrate                  apply committed migrations to DATABASE_URL or DATA_DIR
 *   npm run db:migration -- <name>      write the next migration from the schema diff
 */
const usage = 'usage: migrations.ts migrate | create <name>';

async function migrate() {
  const config = loadConfig();
  const engine = await openEngine({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    const target = engine.kind === 'postgres' ? 'the PostgreSQL server (DATABASE_URL)' : `${config.dataDir}/pglite`;
    console.error(`Applying migrations to ${target} …`);
    const applied = await applyMigrations(engine.adapterFactory);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
  } finally {
    await engine.close();
  }
}

async function create(name: string | undefined) {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error('A migration name is required: lower-case letters, digits and _, e.g. add_libraries');
  }
  console.error('Replaying committed migrations into a scratch database and diffing against prisma/schema.prisma …');
  const sql = await pendingSchemaChange();
  if (sql === null) {
    console.log('No changes: the committed migrations already produce prisma/schema.prisma.');
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  await writeFile(join(dir, 'migration.sql'), sql);
  console.log(`Wrote ${join(dir, 'migration.sql')}`);
}

const { positionals } = parseArgs({ allowPositionals: true });
const [command, name] = positionals;
await runCommand(async () => {
  if (command === 'migrate') await migrate();
  else if (command === 'create') await create(name);
  else throw new Error(usage);
});
