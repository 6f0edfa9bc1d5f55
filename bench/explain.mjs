#!/usr/bin/env node
// The query plans behind `npm run bench:scale`: each workload's requests go through the gateway's
// own app in this process (REST and GraphQL, as a client sends them), every SQL statement Prisma
// sends is recorded, and each is run again under EXPLAIN (ANALYZE, BUFFERS) on the scale database.
//
//   node explain.mjs            after a `npm run bench:scale` (the seeded `assets_scale`) and `npm run build`
//
// Writes bench/.data/scale-plans.md and prints it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { ROOT, dbUrlFor } from './lib/pgsetup.mjs';
import { SCALE_WORKSPACE_ID } from './lib/scale-seed.mjs';
import { deepPageFor, workloads } from './lib/scale-workloads.mjs';
import { logger } from './lib/servers.mjs';

const BENCH = new URL('.', import.meta.url).pathname.replace(/\/$/, '');
const env = process.env;
const url = dbUrlFor(env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', env.BENCH_SCALE_DATABASE_NAME || 'assets_scale');
const assets = Number(env.BENCH_SCALE_ASSETS || 1_000_000);
const log = logger('explain');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);

const { loadConfig } = await dist('config.js');
const { openEngine } = await dist('db/engine.js');
const { createPrismaClient } = await dist('db/client.js');
const { buildApp } = await dist('app.js');
const { createApiKey } = await dist('auth/keys.js');

let sent = [];
const engine = await openEngine({ databaseUrl: url, poolSize: 2 });
const db = createPrismaClient(engine, { onQuery: (sql, params) => sent.push({ sql, params }) });
const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' }), db });
const { key } = await createApiKey(db, { name: 'explain', scopes: ['read:assets', 'read:libraries'], workspace: 'scale' });
const client = new pg.Client({ connectionString: url });
await client.connect();

const deepPage = deepPageFor(assets);
// The row above the deep page, read as the gateway reads it (Prisma), for the gateway's own cursor.
const row = await db.asset.findFirstOrThrow({
  where: { workspaceId: SCALE_WORKSPACE_ID, deletedAt: null },
  orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  skip: (deepPage - 1) * 20 - 1,
  select: { id: true, createdAt: true },
});
const { assetCursor } = await dist('graphql/connections.js');

const out = [`## Plans of the scale workloads — ${new Date().toISOString()}, ${assets.toLocaleString('en')} assets\n`];
for (const w of workloads(key, { gateway: assetCursor(row, 'createdAt') }, deepPage)) {
  for (const [face, req] of [
    ['REST', w.rest],
    ['GraphQL', w.graphql],
  ]) {
    if (!req) continue;
    const inject = () => app.inject({ method: req.method, url: req.path, headers: req.headers, payload: req.body });
    await inject(); // the key's first use, and Prisma's plan cache
    sent = [];
    const response = await inject();
    out.push(`### ${w.name} — ${face} (HTTP ${response.statusCode}, ${sent.length} statement(s))\n`);
    for (const { sql, params } of sent) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, JSON.parse(params));
      out.push('```sql', sql, `-- ${params}`, '```', '```', ...rows.map((r) => r['QUERY PLAN']), '```', '');
    }
    log(`${w.name} ${face}: ${sent.length} statement(s)`);
  }
}
await client.end();
await app.close();
await db.$disconnect();
await engine.close();
const md = out.join('\n');
writeFileSync(join(BENCH, '.data', 'scale-plans.md'), md);
console.log(md);
