#!/usr/bin/env node
// npm run bench:scale (in bench/) — how the gateway's cost grows with the data; see README.md.
// Progress goes to stderr, the markdown table to stdout (and bench/.data/scale-last-run.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT, dbUrlFor, rootScript } from './lib/pgsetup.mjs';
import { SCALE_WORKSPACE_ID, afterSeedSql, scalePostgraphileSql, scaleSeedSql } from './lib/scale-seed.mjs';
import { condition, deepPageFor, post, workloads } from './lib/scale-workloads.mjs';
import { searchBench } from './lib/scale-search.mjs';
import { childEnvironment, logger, median, peakRssMb, sleep, startFlags, startNodeServer } from './lib/servers.mjs';

const BENCH = new URL('.', import.meta.url).pathname.replace(/\/$/, '');
const env = process.env;
const opt = {
  adminUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  dbName: env.BENCH_SCALE_DATABASE_NAME || 'assets_scale',
  assets: Number(env.BENCH_SCALE_ASSETS || 1_000_000),
  pgliteAssets: Number(env.BENCH_SCALE_PGLITE_ASSETS || 100_000),
  samples: Number(env.BENCH_SCALE_SAMPLES || 31),
  warmup: Number(env.BENCH_SCALE_WARMUP || 5),
  serverWarmup: Number(env.BENCH_SCALE_SERVER_WARMUP || 1000),
  createSeconds: Number(env.BENCH_SCALE_CREATE_SECONDS || 5),
  createRounds: Number(env.BENCH_SCALE_CREATE_ROUNDS || 3),
  engines: (env.BENCH_SCALE_ENGINES || 'postgres,pglite').split(',').filter(Boolean),
  reseed: env.BENCH_SCALE_RESEED === '1',
  // `lists` (the lists, searches and creates against PostGraphile), `search` (content search).
  parts: (env.BENCH_SCALE_PARTS || 'lists,search').split(',').filter(Boolean),
  searchDbName: env.BENCH_SEARCH_DATABASE_NAME || 'assets_search',
  searchAssets: Number(env.BENCH_SEARCH_ASSETS || 1_000_000),
  searchContent: Number(env.BENCH_SEARCH_CONTENT_ASSETS || 100_000),
  searchPgliteAssets: Number(env.BENCH_SEARCH_PGLITE_ASSETS || 100_000),
  searchPgliteContent: Number(env.BENCH_SEARCH_PGLITE_CONTENT_ASSETS || 10_000),
};
const log = logger('scale');
const postgresKeysFile = join(BENCH, '.data', `scale-keys-${opt.dbName}.json`);
const deepPage = deepPageFor(opt.assets);

execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
mkdirSync(join(BENCH, '.data'), { recursive: true });

const idCursor = (id) => Buffer.from(`GPC:S:${id}`).toString('base64');

// ---------------------------------------------------------------- data
const seedTag = (assets) => `scale v2: ${assets} assets`;

/** Seeds the PostgreSQL database once; later runs reuse it and only apply new migrations. */
async function preparePostgres() {
  const url = dbUrlFor(opt.adminUrl, opt.dbName);
  const admin = new pg.Client({ connectionString: opt.adminUrl });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opt.dbName])).rowCount > 0;
  let seeded = false;
  if (exists && !opt.reseed) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    seeded = (await c.query("SELECT obj_description('public.assets'::regclass) AS tag").catch(() => ({ rows: [{}] }))).rows[0].tag === seedTag(opt.assets);
    await c.end();
  }
  if (!seeded) {
    rmSync(postgresKeysFile, { force: true }); // they were the old database's
    await admin.query(`DROP DATABASE IF EXISTS "${opt.dbName}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${opt.dbName}"`);
  }
  await admin.end();
  log(`migrating ${opt.dbName} (npm run db:migrate)`);
  rootScript(['db:migrate'], { DATABASE_URL: url });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  if (!seeded) {
    log(`seeding ${opt.assets} assets + 9 × 10 000 (generate_series); a million takes minutes`);
    const t = Date.now();
    await c.query(scaleSeedSql(opt.assets));
    await c.query(afterSeedSql);
    await c.query(scalePostgraphileSql);
    await c.query(`COMMENT ON TABLE assets IS '${seedTag(opt.assets)}'`);
    log(`seeded in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  } else {
    log('reusing the seeded database (BENCH_SCALE_RESEED=1 to seed again); removing the creates of earlier runs');
    // Left in place, they wait in the trigram indexes' pending lists (autovacuum had not yet
    // flushed them) and slowed the next run's rare-word search from 2.5 to 10 ms.
    await c.query("DELETE FROM assets WHERE workspace_id IN (SELECT id FROM workspaces WHERE slug = 'scale-hot' OR slug LIKE 'scale-spread-%')");
    await c.query('VACUUM ANALYZE assets');
    await c.query('ANALYZE');
  }
  await c.end();
  return url;
}

async function preparePglite() {
  const dataDir = join(BENCH, '.data', 'scale-pglite');
  const tagFile = join(dataDir, 'seed-tag');
  if (!opt.reseed && existsSync(tagFile) && readFileSync(tagFile, 'utf8') === seedTag(opt.pgliteAssets)) {
    log(`reusing ${dataDir}; migrations apply at the gateway's start`);
    return dataDir;
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  log(`PGlite: seeding ${opt.pgliteAssets} assets into ${dataDir}`);
  execFileSync(process.execPath, ['--import', 'tsx', join(BENCH, 'lib/seed-pglite.ts'), dataDir, 'scale', String(opt.pgliteAssets)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: childEnvironment({ DATABASE_URL: '' }),
  });
  writeFileSync(tagFile, seedTag(opt.pgliteAssets));
  return dataDir;
}

/** Keys from the gateway's CLI, kept with the data (a CLI start costs seconds). */
function keysFor(engineEnv, file, names) {
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  for (const [name, workspace, scopes] of names) {
    if (stored[name]) continue;
    stored[name] = rootScript(['keys', '--', 'create', '--name', name, '--scopes', scopes, '--workspace', workspace], engineEnv);
    if (!/^agk_/.test(stored[name])) throw new Error(`keys CLI did not print a key: ${stored[name]}`);
  }
  writeFileSync(file, JSON.stringify(stored));
  return stored;
}

async function call(base, req) {
  const t0 = performance.now();
  const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text, ms };
}

/** p50 of single requests from one client; the variants take turns, request by request. */
const permutations = (xs) => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations(xs.toSpliced(i, 1)).map((rest) => [x, ...rest])));

async function measure(variants) {
  for (let i = 0; i < opt.warmup; i++) for (const v of variants) await call(v.base, v.req);
  // Each sample takes the variants in the next of every possible order: a request pays for what
  // the one before it did to PostgreSQL's shared buffers (PostGraphile's deep offset reads the
  // heap), so no variant may always follow the same one.
  const orders = permutations(variants);
  for (let i = 0; i < opt.samples; i++) {
    for (const v of orders[i % orders.length]) {
      const r = await call(v.base, v.req);
      if (r.status !== 200) throw new Error(`${v.label}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      v.ms.push(r.ms);
    }
  }
  for (const v of variants) v.p50 = median(v.ms);
}

/**
 * A server in production has served many requests: its JIT has compiled the hot paths. Fresh, the
 * gateway's list page 1 takes 29 ms at first, 12 ms after 36 requests, and 7 ms after 1,000 (seen
 * on 2026-11-28), so the gateway first answers BENCH_SCALE_SERVER_WARMUP (1000) requests of the
 * rare-word search, then every workload gets its own few warm-up requests as before. PostGraphile
 * is not warmed so long: warmed so, its search scanned the table at 1.3 s a call (seen on
 * 2026-11-28; 7 ms earlier that day, probably a generic plan for its prepared statement), which
 * would take the warm-up 20 minutes and evict the gateway's pages between turns.
 */
async function warmUp(variants) {
  for (let i = 0; i < opt.serverWarmup; i++) for (const v of variants) await call(v.base, v.req);
}

/** The ids of a response, or why there are none. */
async function idsOf(base, req) {
  const r = await call(base, req);
  try {
    return req.ids(r.json);
  } catch {
    return `HTTP ${r.status} ${r.text.slice(0, 300)}`;
  }
}

/** Concurrent creates for `seconds`, `keys[i % keys.length]` on client i: creates per second. */
async function createRate(base, keys, seconds) {
  let done = 0;
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  const tag = Date.now().toString(36);
  await Promise.all(
    Array.from({ length: 16 }, async (_, client) => {
      for (let n = 0; Date.now() < until; n++) {
        const r = await call(
          base,
          post(
            'mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }',
            { i: { title: `Scale ${tag} ${client} ${n}`, assetType: 'LINK', externalUrl: 'https://example.com' } },
            keys[client % keys.length],
          ),
        );
        if (r.status === 200 && r.json?.data?.createAsset) done++;
        else failed++;
      }
    }),
  );
  if (failed) log(`   ${failed} create(s) failed`);
  return done / seconds;
}

// ---------------------------------------------------------------- run
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const out = [];
const gatewayEnv = (extra) => ({ NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '0', ...extra });
const gatewayArgs = [...startFlags, 'dist/index.js']; // as npm start runs it
const postgraphileArgs = ['--import', './lib/polyfill.mjs', 'postgraphile-server.mjs'];

const lists = opt.parts.includes('lists');
if (lists && opt.engines.includes('postgres')) {
  const url = await preparePostgres();
  const writers = Array.from({ length: 16 }, (_, i) => [`spread-${i + 1}`, `scale-spread-${i + 1}`, 'read:assets,write:assets,read:libraries']);
  const keys = keysFor({ DATABASE_URL: url }, postgresKeysFile, [
    ['read', 'scale', 'read:assets,read:libraries'],
    ['hot', 'scale-hot', 'read:assets,write:assets,read:libraries'],
    ...writers,
  ]);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const offset = (deepPage - 1) * 20;
  const {
    rows: [aboveRow],
  } = await c.query('SELECT id FROM assets WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1', [
    SCALE_WORKSPACE_ID,
    offset - 2,
  ]);
  await c.end();

  const gateway = await startNodeServer({ name: 'gateway', cwd: ROOT, args: gatewayArgs, env: gatewayEnv({ DATABASE_URL: url }), ready: '/healthz', log });
  const postgraphile = await startNodeServer({ name: 'postgraphile', cwd: BENCH, args: postgraphileArgs, env: { DATABASE_URL: url }, ready: '/graphql', log });
  try {
    const pglCursor = (
      await call(
        postgraphile.base,
        post(`{ allAssets(first: 1, offset: ${offset - 1}, ${condition}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { cursor } } }`),
      )
    ).json.data.allAssets.edges[0].cursor;
    // The gateway's own cursor of the row above the page: the edge that follows the id-only
    // cursor (which the gateway still accepts, looking its asset up) of the row above that.
    const gatewayCursor = (
      await call(
        gateway.base,
        post('query($after: String) { assetsConnection(first: 1, after: $after) { edges { cursor } } }', { after: idCursor(aboveRow.id) }, keys.read),
      )
    ).json.data.assetsConnection.edges[0].cursor;
    const rows = [];
    const all = workloads(keys.read, { gateway: gatewayCursor, postgraphile: pglCursor }, deepPage);
    const rare = all.find((w) => w.name.startsWith('search, rare'));
    log(`warming the gateway up with ${opt.serverWarmup} requests of "${rare.name}"`);
    await warmUp([
      { base: gateway.base, req: rare.rest },
      { base: gateway.base, req: rare.graphql },
    ]);
    for (const w of all) {
      const variants = [
        w.rest && { label: 'REST', base: gateway.base, req: w.rest, ms: [] },
        { label: 'GraphQL', base: gateway.base, req: w.graphql, ms: [] },
        { label: 'PostGraphile', base: postgraphile.base, req: w.postgraphile, ms: [] },
      ].filter(Boolean);
      const answers = await Promise.all(variants.map((v) => idsOf(v.base, v.req)));
      const same = answers.every((a) => Array.isArray(a) && a.length > 0 && JSON.stringify(a) === JSON.stringify(answers[0]));
      log(`${w.name}: ${same ? `${answers[0].length} rows, same rows on every variant` : `MISMATCH ${JSON.stringify(answers).slice(0, 600)}`}`);
      await measure(variants);
      const [restP50, gqlP50, pglP50] = [
        variants.find((v) => v.label === 'REST')?.p50,
        variants.find((v) => v.label === 'GraphQL').p50,
        variants.find((v) => v.label === 'PostGraphile').p50,
      ];
      const worst = Math.max(gqlP50, restP50 ?? 0);
      const met = worst <= w.target && (!w.peer || worst <= pglP50);
      log(
        `   REST ${fmt(restP50)} ms, GraphQL ${fmt(gqlP50)} ms, PostGraphile ${fmt(pglP50)} ms (target ${w.target} ms${w.peer ? ' and ≤ PostGraphile' : ''})`,
      );
      rows.push(
        `| ${w.name} | ${fmt(restP50)} | ${fmt(gqlP50)} | ≤ ${w.target}${w.peer ? ' and ≤ PostGraphile' : ''} | ${fmt(pglP50)} | ${same ? 'same' : 'MISMATCH'} | ${met ? 'met' : '**not met**'} |`,
      );
    }
    log(`creates: 16 clients on one workspace vs 16 workspaces, ${opt.createRounds} rounds of ${opt.createSeconds} s`);
    const hot = [];
    const spread = [];
    for (let round = 0; round < opt.createRounds; round++) {
      hot.push(await createRate(gateway.base, [keys.hot], opt.createSeconds));
      spread.push(
        await createRate(
          gateway.base,
          writers.map(([name]) => keys[name]),
          opt.createSeconds,
        ),
      );
      log(`   round ${round + 1}: one workspace ${fmt(hot.at(-1), 0)}/s, 16 workspaces ${fmt(spread.at(-1), 0)}/s`);
    }
    const ratio = median(hot) / median(spread);
    rows.push(
      `| creates, 16 clients, one workspace and type ÷ 16 workspaces | ${fmt(median(hot), 0)}/s ÷ ${fmt(median(spread), 0)}/s | = ${fmt(ratio, 2)}× | ≥ 0.8× | | | ${ratio >= 0.8 ? 'met' : '**not met**'} |`,
    );
    const rss = peakRssMb(gateway.pid);
    rows.push(`| gateway peak RSS after all of the above | ${fmt(rss, 0)} MB | | ≤ 200 MB | | | ${rss <= 200 ? 'met' : '**not met**'} |`);
    out.push(
      `### PostgreSQL, ${opt.assets.toLocaleString('en')} assets in one workspace (+ 9 × 10,000) — p50 of ${opt.samples} single requests from one client, ms\n`,
      '| workload | gateway REST | gateway GraphQL | target | PostGraphile | rows | |',
      '|---|---:|---:|---|---:|---|---|',
      ...rows,
      '',
    );
  } finally {
    await gateway.stop();
    await postgraphile.stop();
  }
}

if (lists && opt.engines.includes('pglite')) {
  const dataDir = await preparePglite();
  const keys = keysFor({ DATABASE_URL: '', DATA_DIR: dataDir }, join(dataDir, 'keys.json'), [['read', 'scale', 'read:assets,read:libraries']]);
  const gateway = await startNodeServer({
    name: 'gateway (PGlite)',
    cwd: ROOT,
    args: gatewayArgs,
    env: gatewayEnv({ DATABASE_URL: '', DATA_DIR: dataDir }),
    ready: '/healthz',
    log,
  });
  try {
    const rows = [];
    const all = workloads(keys.read, {}, deepPageFor(opt.pgliteAssets));
    log(`warming the gateway up with ${opt.serverWarmup} requests of "${all[3].name}"`);
    await warmUp([
      { base: gateway.base, req: all[3].rest },
      { base: gateway.base, req: all[3].graphql },
    ]);
    for (const [w, target] of [
      [all[0], 10],
      [all[3], 30],
    ]) {
      const variants = [
        { label: 'REST', base: gateway.base, req: w.rest, ms: [] },
        { label: 'GraphQL', base: gateway.base, req: w.graphql, ms: [] },
      ];
      const answers = await Promise.all(variants.map((v) => idsOf(v.base, v.req)));
      const same = answers.every((a) => Array.isArray(a) && a.length > 0 && JSON.stringify(a) === JSON.stringify(answers[0]));
      await measure(variants);
      const worst = Math.max(variants[0].p50, variants[1].p50);
      log(`PGlite ${w.name}: REST ${fmt(variants[0].p50)} ms, GraphQL ${fmt(variants[1].p50)} ms (target ${target} ms)`);
      rows.push(
        `| ${w.name} | ${fmt(variants[0].p50)} | ${fmt(variants[1].p50)} | ≤ ${target} | ${same ? 'same' : 'MISMATCH'} | ${worst <= target ? 'met' : '**not met**'} |`,
      );
    }
    const rss = peakRssMb(gateway.pid);
    rows.push(`| gateway peak RSS | ${fmt(rss, 0)} MB | | ≤ 350 MB | | ${rss <= 350 ? 'met' : '**not met**'} |`);
    out.push(
      `### embedded PGlite, ${opt.pgliteAssets.toLocaleString('en')} assets in one workspace (+ 9 × 10,000) — p50 of ${opt.samples} single requests, ms\n`,
      '| workload | gateway REST | gateway GraphQL | target | rows | |',
      '|---|---:|---:|---|---|---|',
      ...rows,
      '',
    );
  } finally {
    await gateway.stop();
  }
}

if (opt.parts.includes('search')) out.push(...(await searchBench({ ...opt, benchDir: BENCH }, log)));

const md = `## assets-gateway scale bench — ${new Date().toISOString()} — node ${process.version}; loadavg at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n\n${out.join('\n')}`;
writeFileSync(join(BENCH, '.data', 'scale-last-run.md'), md);
console.log(md);
await sleep(10);
