// The same deep connection page through a keyset cursor (id, sort, value: one statement) and
// through an id-only cursor, which clients may still hold (looked up first: two), on one
// gateway, request by request, alternating which goes first. Run after `npm run bench:scale`
// (its database and keys) and `npm run build`:  cd bench && node cursor-ab.mjs
// DEPTH (rows above the page, 499980) and ROUNDS (pairs, 301) can be set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT, dbUrlFor } from './lib/pgsetup.mjs';
import { SCALE_WORKSPACE_ID } from './lib/scale-seed.mjs';
import { logger, median, startFlags, startNodeServer } from './lib/servers.mjs';

const env = process.env;
const url = dbUrlFor(env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', env.BENCH_SCALE_DATABASE_NAME || 'assets_scale');
const key = JSON.parse(readFileSync(join(ROOT, 'bench/.data/scale-keys-assets_scale.json'), 'utf8')).read;
const depth = Number(env.DEPTH ?? 499_980);
const rounds = Number(env.ROUNDS ?? 301);
const idCursor = (id) => Buffer.from(`GPC:S:${id}`).toString('base64');
const query =
  'query($after: String) { assetsConnection(first: 20, after: $after) { edges { cursor node { id title slug assetType createdAt library { id name } } } } }';

const c = new pg.Client({ connectionString: url });
await c.connect();
const { rows } = await c.query('SELECT id FROM assets WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 2', [
  SCALE_WORKSPACE_ID,
  depth - 2,
]);
await c.end();

const log = logger('cursor-ab');
const gateway = await startNodeServer({
  name: 'gateway',
  cwd: ROOT,
  args: [...startFlags, 'dist/index.js'],
  env: { NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '0', DATABASE_URL: url },
  ready: '/healthz',
  log,
});
const page = async (after) => {
  const t0 = performance.now();
  const res = await fetch(`${gateway.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables: { after } }),
  });
  const body = await res.json();
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return { ms: performance.now() - t0, edges: body.data.assetsConnection.edges };
};
try {
  // The row just above the page: its keyset cursor as the gateway writes it, and its id-only cursor.
  const cursors = { keyset: (await page(idCursor(rows[0].id))).edges[0].cursor, 'id only': idCursor(rows[1].id) };
  const ids = async (cursor) => (await page(cursor)).edges.map((e) => e.node.id).join();
  if ((await ids(cursors.keyset)) !== (await ids(cursors['id only']))) throw new Error('the two cursors give different pages');
  for (let i = 0; i < 300; i++) await page(i % 2 ? cursors.keyset : cursors['id only']);
  const ms = { keyset: [], 'id only': [] };
  const pairs = [Object.entries(cursors), Object.entries(cursors).reverse()];
  for (let i = 0; i < rounds; i++) for (const [name, cursor] of pairs[i % 2]) ms[name].push((await page(cursor)).ms);
  const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(0.9 * (xs.length - 1))];
  for (const [name, xs] of Object.entries(ms))
    console.log(`${name}: p50 ${median(xs).toFixed(2)} ms, p90 ${p90(xs).toFixed(2)} ms (${rounds} requests, ${depth} rows above)`);
  console.log(`keyset ÷ id only (p50): ${(median(ms.keyset) / median(ms['id only'])).toFixed(2)}`);
} finally {
  await gateway.stop();
}
