import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { seedSql, postgraphileSql } from './seed.mjs';
import { childEnvironment } from './servers.mjs';

export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export function dbUrlFor(adminUrl, dbName) {
  const u = new URL(adminUrl);
  u.pathname = '/' + dbName;
  return u.toString();
}

/** Runs one of the root package's npm scripts and returns the last line of its stdout. */
export function rootScript(args, env) {
  const out = execFileSync('npm', ['run', '-s', ...args], {
    cwd: ROOT,
    env: childEnvironment({ LOG_LEVEL: 'silent' }, env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 << 20,
  });
  const lines = out.trim().split('\n');
  return lines[lines.length - 1].trim();
}

/** The database `npm run bench` seeds on the PostgreSQL server, which profile.mjs, ab.mjs and floor.mjs reuse. */
export function benchDatabaseUrl() {
  const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  return dbUrlFor(adminUrl, process.env.BENCH_DATABASE_NAME || 'assets_bench');
}

/** A new key for the bench's read workspace, with the read scopes only (its lists show each asset's library), from the gateway's keys CLI. */
export function createReadKey(databaseUrl, name) {
  const key = rootScript(['keys', '--', 'create', '--name', name, '--scopes', 'read:assets,read:libraries', '--workspace', 'bench'], {
    DATABASE_URL: databaseUrl,
  });
  if (!/^agk_/.test(key)) throw new Error(`keys CLI did not print a key: ${key}`);
  return key;
}

export function createKeys(env) {
  const read = rootScript(['keys', '--', 'create', '--name', 'bench', '--scopes', 'read:assets,write:assets,read:libraries', '--workspace', 'bench'], env);
  const write = rootScript(
    ['keys', '--', 'create', '--name', 'bench-write', '--scopes', 'read:assets,write:assets,read:libraries', '--workspace', 'bench-write'],
    env,
  );
  for (const k of [read, write]) if (!/^agk_/.test(k)) throw new Error(`keys CLI did not print a key: ${k}`);
  return { read, write };
}

/** (Re)creates the bench database on the server, applies the gateway's migrations, seeds it. */
export async function setupPostgres(adminUrl, dbName, log) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const url = dbUrlFor(adminUrl, dbName);
  log(`migrating ${dbName} with the gateway's migrations (npm run db:migrate)`);
  rootScript(['db:migrate'], { DATABASE_URL: url });
  log('seeding (INSERT … SELECT generate_series)');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const t = Date.now();
  await c.query(seedSql);
  await c.query(postgraphileSql);
  await c.end();
  log(`seeded in ${((Date.now() - t) / 1000).toFixed(1)} s; creating API keys`);
  const keys = createKeys({ DATABASE_URL: url });
  return { url, keys };
}
