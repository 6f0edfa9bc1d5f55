#!/usr/bin/env node
// npm run bench (in bench/) — see README.md. Progress goes to stderr, the markdown table to stdout.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT, createKeys, dbUrlFor, setupPostgres } from './lib/pgsetup.mjs';
import { childEnvironment, cpuTicks, logger, median, peakRssMb, sleep, startFlags, startNodeServer } from './lib/servers.mjs';
import { startSqlProxy } from './lib/sqlproxy.mjs';
import { GATEWAY_GET_QUERY, GATEWAY_ITEM, GATEWAY_LIST_QUERY, POSTGRAPHILE_GET_QUERY, POSTGRAPHILE_ITEM, POSTGRAPHILE_LIST_QUERY } from './lib/requests.mjs';
import { ASSETS, GET_ID, WORKSPACE_ID, WRITE_WORKSPACE_ID } from './lib/seed.mjs';

const BENCH = new URL('.', import.meta.url).pathname.replace(/\/$/, '');
const env = process.env;
const opt = {
  adminUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  dbName: env.BENCH_DATABASE_NAME || 'assets_bench',
  engines: (env.BENCH_ENGINES || 'postgres,pglite').split(',').filter(Boolean),
  servers: (env.BENCH_SERVERS || 'baseline,gateway,postgraphile').split(',').filter(Boolean),
  workloads: env.BENCH_WORKLOADS ? env.BENCH_WORKLOADS.split(',') : null,
  connections: Number(env.BENCH_CONNECTIONS || 16),
  duration: Number(env.BENCH_DURATION || 5),
  warmup: Number(env.BENCH_WARMUP || 2),
  runs: Number(env.BENCH_RUNS || 3),
  countRequests: Number(env.BENCH_COUNT_REQUESTS || 20),
  serverCpu: env.BENCH_SERVER_CPU || '1',
  loadCpu: env.BENCH_LOAD_CPU || '0',
};
const log = logger('bench');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

// The load generator (this process, and autocannon in it) on one core, servers on the other.
execFileSync('taskset', ['-a', '-pc', opt.loadCpu, String(process.pid)], { stdio: 'ignore' });
execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

// The REST shim's own operations (the route table's, from dist/), so that GraphQL can run exactly
// the query REST runs: the REST ÷ GraphQL ratio then measures the shim alone, not a wider selection.
const { assetRoutes } = await import(join(ROOT, 'dist/rest/v1/routes/assets.js'));
const restOperation = (operationId) => {
  const route = assetRoutes.find((r) => r.operationId === operationId);
  return `${route.operation}\n${route.answer.representation.fragments}`;
};
const REST_LIST_QUERY = restOperation('listAssets');
const REST_GET_QUERY = restOperation('getAsset');
// The raw-SQL baseline opens PGlite with the gateway's shared buffers (like for like).
const { pgliteSharedBuffers } = await import(join(ROOT, 'dist/db/engine.js'));

// ---------------------------------------------------------------- workloads
const gql = (query, variables) => JSON.stringify({ query, variables });
const WORKLOADS = ['list-20', 'list-100', 'search', 'get', 'create'];
let createSeq = 0;
const runTag = Date.now().toString(36);
const nextTitle = () => `Bench ${runTag} ${++createSeq}`;

function request(variant, workload, keys) {
  const auth = { authorization: `Bearer ${workload === 'create' ? keys.write : keys.read}` };
  const json = { 'content-type': 'application/json' };
  const gw = (query, variables, pick) => ({ method: 'POST', path: '/graphql', headers: { ...auth, ...json }, body: gql(query, variables), ids: pick });
  const pgl = (query, variables, pick) => ({ method: 'POST', path: '/graphql', headers: json, body: gql(query, variables), ids: pick });
  const get = (path, pick) => ({ method: 'GET', path, headers: auth, ids: pick });
  const listIds = (j) => j.data.assets.items.map((a) => a.id);
  const restList = (j) => j.data.map((a) => a.id);
  switch (variant) {
    case 'gateway GraphQL': {
      if (workload === 'list-20') return gw(GATEWAY_LIST_QUERY, { perPage: 20, page: 1 }, listIds);
      if (workload === 'list-100') return gw(GATEWAY_LIST_QUERY, { perPage: 100, page: 1 }, listIds);
      if (workload === 'search')
        return gw(`query{ assets(perPage:20, filter:{assetType: PDF, search:"report"}){ items { ${GATEWAY_ITEM} } } }`, undefined, listIds);
      if (workload === 'get') return gw(GATEWAY_GET_QUERY, { id: GET_ID }, (j) => [j.data.asset.id]);
      if (workload === 'create') {
        const q = 'mutation($i:CreateAssetInput!){ createAsset(input:$i){ id slug } }';
        const body = () => gql(q, { i: { title: nextTitle(), assetType: 'LINK', externalUrl: 'https://example.com' } });
        return { ...gw(q, {}, (j) => [j.data.createAsset.id]), makeBody: body };
      }
      return null;
    }
    case 'gateway GraphQL, REST operation': {
      if (workload === 'list-20') return gw(REST_LIST_QUERY, { perPage: 20, page: 1 }, listIds);
      if (workload === 'get') return gw(REST_GET_QUERY, { id: GET_ID }, (j) => [j.data.asset.id]);
      return null;
    }
    case 'gateway REST': {
      if (workload === 'list-20') return get('/api/v1/assets?per_page=20', restList);
      if (workload === 'get') return get(`/api/v1/assets/${GET_ID}`, (j) => [j.data.id]);
      return null;
    }
    case 'raw SQL': {
      if (workload === 'list-20') return get('/assets?per_page=20', restList);
      if (workload === 'list-100') return get('/assets?per_page=100', restList);
      if (workload === 'search') return get('/assets?per_page=20&asset_type=pdf&search=report', restList);
      if (workload === 'get') return get(`/assets/${GET_ID}`, (j) => [j.data.id]);
      if (workload === 'create') {
        const body = () => JSON.stringify({ title: nextTitle(), assetType: 'link', externalUrl: 'https://example.com' });
        return { method: 'POST', path: '/assets', headers: { ...auth, ...json }, body: body(), makeBody: body, ids: (j) => [j.data.id] };
      }
      return null;
    }
    case 'PostGraphile': {
      const nodes = (k) => (j) => j.data[k].nodes.map((a) => a.rowId);
      if (workload === 'list-20') return pgl(POSTGRAPHILE_LIST_QUERY, { first: 20 }, nodes('allAssets'));
      if (workload === 'list-100') return pgl(POSTGRAPHILE_LIST_QUERY, { first: 100 }, nodes('allAssets'));
      if (workload === 'search')
        return pgl(
          `query{ benchPgSearchAssets(ws:"${WORKSPACE_ID}", kind: pdf, term:"report", first:20){ nodes { ${POSTGRAPHILE_ITEM} } } }`,
          undefined,
          nodes('benchPgSearchAssets'),
        );
      if (workload === 'get') return pgl(POSTGRAPHILE_GET_QUERY, { id: GET_ID }, (j) => [j.data.assetByRowId.rowId]);
      if (workload === 'create') {
        const q = 'mutation($a:AssetInput!){ createAsset(input:{asset:$a}){ asset { rowId slug } } }';
        const body = () => {
          const title = nextTitle();
          return gql(q, {
            a: {
              rowId: randomUUID(),
              workspaceId: WRITE_WORKSPACE_ID,
              title,
              slug: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
              assetType: 'link',
              externalUrl: 'https://example.com',
            },
          });
        };
        return { ...pgl(q, {}, (j) => [j.data.createAsset.asset.rowId]), makeBody: body };
      }
      return null;
    }
  }
  return null;
}

// ---------------------------------------------------------------- servers
const SERVERS = {
  baseline: { variants: ['raw SQL'], cwd: BENCH, args: ['baseline-server.mjs'], ready: '/nope' },
  // What `npm start` runs: the compiled server (built once below, as `npm start`'s prestart does),
  // with its default heap limit (HEAP_LIMIT_MB, 128).
  gateway: {
    variants: ['gateway GraphQL', 'gateway GraphQL, REST operation', 'gateway REST'],
    cwd: ROOT,
    args: [...startFlags, 'dist/index.js'],
    ready: '/healthz',
  },
  postgraphile: { variants: ['PostGraphile'], cwd: BENCH, args: ['--import', './lib/polyfill.mjs', 'postgraphile-server.mjs'], ready: '/graphql' },
};

function startServer(name, ctx, databaseUrl) {
  const def = SERVERS[name];
  const env = {
    // As `npm start` runs: production mode, the default log level (one line per request); no rate limit.
    NODE_ENV: 'production',
    RATE_LIMIT_PER_MINUTE: '0',
    BENCH_KEYS: `${ctx.keys.read},${ctx.keys.write}`,
    BENCH_WORKSPACE_ID: WORKSPACE_ID,
    BENCH_WRITE_WORKSPACE_ID: WRITE_WORKSPACE_ID,
    DATABASE_URL: databaseUrl || '',
    DATA_DIR: ctx.dataDir || '',
    PGLITE_DIR: databaseUrl ? '' : ctx.dataDir || '',
    PGLITE_SHARED_BUFFERS: pgliteSharedBuffers,
  };
  return startNodeServer({ name, cwd: def.cwd, args: def.args, env, ready: def.ready, cpu: opt.serverCpu, log });
}

/** CPU ticks of the whole machine that are neither ours (load generator, server) nor PostgreSQL's. */
const NCPU = (readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm) || []).length || 1;
function foreignTicks(serverPid) {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  let ticks = user + nice + system + irq + softirq + steal;
  const own = (pid) => {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  ticks -= own(process.pid) + own(serverPid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')) === 'postgres') ticks -= own(d);
    } catch {}
  }
  return ticks;
}
async function call(base, req) {
  const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.makeBody ? req.makeBody() : req.body });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

async function load(base, req, seconds) {
  const latencies = [];
  const o = { url: base + req.path, method: req.method, headers: req.headers, body: req.body, connections: opt.connections, duration: seconds };
  if (req.makeBody) o.requests = [{ setupRequest: (r) => ({ ...r, body: req.makeBody() }) }];
  const inst = autocannon(o);
  inst.on('response', (_c, status, _b, rt) => {
    if (status >= 200 && status < 300) latencies.push(rt);
  });
  const result = await inst;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  const ok = result['2xx'];
  return { ok, bad: result.non2xx + result.errors + result.timeouts, rps: ok / seconds, p50: pct(0.5), p99: pct(0.99) };
}

/**
 * Correctness first: every variant of a server must return the same ids, in order, as the raw-SQL
 * baseline (which starts first). Returns a row per variant and workload; those that cannot be
 * measured (404, a bad answer) carry `na`.
 */
async function checkAnswers(server, def, workloads, ctx, reference, newRow) {
  const rows = [];
  for (const variant of def.variants) {
    for (const workload of workloads) {
      const req = request(variant, workload, ctx.keys);
      if (!req) continue;
      const r = await call(server.base, req);
      let ids = null;
      try {
        ids = req.ids(r.json);
      } catch {}
      if (r.status === 404 || !ids) {
        const why = r.status === 404 ? 'n/a (404)' : `n/a (bad answer: HTTP ${r.status} ${r.text.slice(0, 160)})`;
        log(`${ctx.engine} ${variant} ${workload}: ${why}`);
        rows.push(newRow(variant, workload, { na: why }));
        continue;
      }
      let check = 'ok';
      if (workload !== 'create') {
        const key = `${ctx.engine}/${workload}`;
        if (variant === 'raw SQL') reference[key] = ids;
        else if (!reference[key]) check = 'unchecked (no baseline)';
        else if (JSON.stringify(reference[key]) !== JSON.stringify(ids)) check = 'MISMATCH';
        if (ids.length === 0) check = 'EMPTY';
      }
      log(`${ctx.engine} ${variant} ${workload}: ${ids.length} row(s), same rows: ${check}`);
      rows.push(newRow(variant, workload, { req, check, rowsReturned: ids.length }));
    }
  }
  return rows;
}

// ---------------------------------------------------------------- one engine
async function benchEngine(engine, results, reference) {
  const ctx = { engine };
  const t = Date.now();
  if (engine === 'postgres') {
    log(`PostgreSQL: (re)creating database ${opt.dbName} on ${opt.adminUrl.replace(/\/\/[^@]*@/, '//…@')}`);
    const { url, keys } = await setupPostgres(opt.adminUrl, opt.dbName, log);
    Object.assign(ctx, { url, keys });
  } else {
    ctx.dataDir = join(BENCH, '.data', 'pglite-data');
    rmSync(ctx.dataDir, { recursive: true, force: true });
    mkdirSync(ctx.dataDir, { recursive: true });
    log(`PGlite: seeding ${ctx.dataDir} (gateway migrations, then the seed SQL)`);
    execFileSync(process.execPath, ['--import', 'tsx', join(BENCH, 'lib/seed-pglite.ts'), ctx.dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: childEnvironment({ DATABASE_URL: '' }),
    });
    ctx.keys = createKeys({ DATABASE_URL: '', DATA_DIR: ctx.dataDir });
  }
  log(`${engine}: data set ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const workloads = WORKLOADS.filter((w) => !opt.workloads || opt.workloads.includes(w));
  const servers = opt.servers.filter((s) => !(engine === 'pglite' && s === 'postgraphile'));
  // Rounds, not one server after another: each round starts every server in turn, warms up all of
  // its workloads and then times each once, so that every variant's runs are spread over the
  // engine's whole time. This machine's speed drifts by up to 2x within minutes; the ratios compare
  // variants, and their medians come from the same stretches of time.
  const plans = servers.map((name) => ({ name, def: SERVERS[name], rows: null, dead: null }));
  const newRow = (variant, workload, extra) => {
    const r = { engine, variant, workload, runs: [], ...extra };
    results.push(r);
    return r;
  };
  for (let round = 1; round <= opt.runs; round++) {
    for (const plan of plans) {
      if (plan.dead) continue;
      let server;
      try {
        server = await startServer(plan.name, ctx, ctx.url);
      } catch (error) {
        log(`!! ${error.message}`);
        plan.dead = 'did not start';
        if (plan.rows) for (const r of plan.rows) r.na ??= plan.dead;
        else for (const v of plan.def.variants) for (const w of workloads) if (request(v, w, ctx.keys)) newRow(v, w, { na: plan.dead });
        continue;
      }
      try {
        plan.rows ??= await checkAnswers(server, plan.def, workloads, ctx, reference, newRow);
        // Creates last (they go to another workspace, so the reads' rows never change anyway).
        const ordered = [...plan.rows.filter((r) => r.workload !== 'create'), ...plan.rows.filter((r) => r.workload === 'create')];
        // Every workload's warm-up first, then the timed runs: a fresh process is still compiling its
        // hot paths after a single 2 s warm-up (measured first after its own warm-up alone, the
        // gateway's list-20 cost 923-1194 µs per request, against 815 µs after 7-12 s of load).
        for (const r of ordered) {
          if (r.na || server.died()) continue;
          log(`${engine} ${r.variant} ${r.workload}, round ${round}/${opt.runs}: warm-up ${opt.warmup} s`);
          await load(server.base, r.req, opt.warmup);
        }
        for (const r of ordered) {
          if (r.na) continue;
          if (server.died()) break;
          log(`${engine} ${r.variant} ${r.workload}, round ${round}/${opt.runs}: ${opt.duration} s at ${opt.connections} connections`);
          const before = cpuTicks(server.pid);
          const foreignBefore = foreignTicks(server.pid);
          const t0 = process.hrtime.bigint();
          const m = await load(server.base, r.req, opt.duration);
          const foreignAfter = foreignTicks(server.pid);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          await sleep(50);
          if (server.died()) break;
          const after = cpuTicks(server.pid);
          m.otherCpu = (100 * Math.max(0, foreignAfter - foreignBefore)) / CLK_TCK / seconds / NCPU;
          m.cpuUs = ((after - before) * 1e6) / CLK_TCK / Math.max(1, m.ok + m.bad);
          r.runs.push(m);
          r.rssMb = Math.max(r.rssMb ?? 0, peakRssMb(server.pid));
          log(
            `   ${m.rps.toFixed(0)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ${m.cpuUs.toFixed(0)} µs CPU/req, other processes ${m.otherCpu.toFixed(0)} % of the machine${m.bad ? `, ${m.bad} failed` : ''}`,
          );
        }
        if (server.died()) {
          plan.dead = server.died();
          log(`!! ${engine} ${plan.name}: ${plan.dead}`);
          for (const r of plan.rows) r.na ??= plan.dead;
        }
      } finally {
        await server.stop();
      }
    }
  }
  for (const r of plans.flatMap((plan) => plan.rows ?? [])) {
    if (r.na) continue;
    const { runs } = r;
    Object.assign(r, {
      rps: median(runs.map((m) => m.rps)),
      p50: median(runs.map((m) => m.p50)),
      p99: median(runs.map((m) => m.p99)),
      cpuUs: median(runs.map((m) => m.cpuUs)),
      otherCpu: median(runs.map((m) => m.otherCpu)),
      bad: runs.reduce((sum, m) => sum + m.bad, 0),
    });
  }
  for (const { name, rows } of plans) {
    // SQL statements per request: a second start of the same server behind the counting proxy (PostgreSQL only).
    if (engine === 'postgres' && rows?.length) {
      const target = new URL(ctx.url);
      const proxy = await startSqlProxy(target.hostname, Number(target.port || 5432));
      const viaProxy = new URL(ctx.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      let counted;
      try {
        counted = await startServer(name, ctx, viaProxy.toString());
        for (const r of rows) {
          if (r.na) continue;
          for (let i = 0; i < 3; i++) await call(counted.base, r.req);
          await sleep(200);
          proxy.counter.statements = 0;
          for (let i = 0; i < opt.countRequests; i++) await call(counted.base, r.req);
          await sleep(200);
          r.sql = proxy.counter.statements / opt.countRequests;
          log(`${engine} ${r.variant} ${r.workload}: ${r.sql} SQL statement(s) per request`);
        }
      } catch (error) {
        log(`!! counting pass for ${name} failed: ${error.message}`);
      } finally {
        await counted?.stop();
        await proxy.close();
      }
    }
  }
}

// ---------------------------------------------------------------- report
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
function table(results) {
  const out = [];
  for (const engine of opt.engines) {
    const rs = results.filter((r) => r.engine === engine);
    if (!rs.length) continue;
    const title = engine === 'postgres' ? 'PostgreSQL server' : 'embedded PGlite';
    out.push(
      `### ${title} — ${ASSETS} assets, ${opt.connections} connections, median of ${opt.runs} rounds (every server restarted per round, then ${opt.warmup} s of warm-up per workload) of ${opt.duration} s\n`,
    );
    out.push('| variant | workload | req/s | p50 ms | p99 ms | server CPU µs/req | peak RSS MB | SQL stmts/req | same rows | other CPU % |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const r of rs) {
      if (r.na) {
        out.push(`| ${r.variant} | ${r.workload} | ${r.na.replace(/\|/g, '/')} | | | | | | | |`);
        continue;
      }
      const sql = engine === 'postgres' ? fmt(r.sql, 2) : 'n/a';
      out.push(
        `| ${r.variant} | ${r.workload} | ${fmt(r.rps)}${r.bad ? ` (${r.bad} failed)` : ''} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuUs)} | ${fmt(r.rssMb)} | ${sql} | ${r.check ?? ''} | ${fmt(r.otherCpu)} |`,
      );
    }
    const find = (v, w) => rs.find((r) => r.variant === v && r.workload === w && !r.na);
    const ratio = (a, b) => (a && b && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
    const mark = (x, ok) => (Number.isFinite(x) ? `${x.toFixed(2)} ${ok(x) ? '✓' : '✗'}` : 'n/a');
    out.push('\n| ratio | value | guard |', '|---|---:|---|');
    // The guards of the performance decision (bench/README.md); CPU ÷ raw SQL and p99 are shown for information.
    for (const [w, floor] of [
      ['list-20', 0.65],
      ['get', 0.85],
    ]) {
      out.push(
        `| gateway GraphQL ${w} req/s ÷ PostGraphile | ${mark(ratio(find('gateway GraphQL', w)?.rps, find('PostGraphile', w)?.rps), (x) => x >= floor)} | ≥ ${floor} |`,
      );
    }
    for (const v of ['gateway GraphQL', 'gateway REST'])
      for (const w of WORKLOADS) {
        const a = find(v, w),
          b = find('raw SQL', w);
        if (a) out.push(`| ${v} ${w} CPU/req ÷ raw SQL | ${fmt(ratio(a.cpuUs, b?.cpuUs), 2)} | — |`);
      }
    for (const w of ['list-20', 'get']) {
      out.push(
        `| gateway REST ÷ GraphQL running the REST operation, ${w} req/s | ${mark(ratio(find('gateway REST', w)?.rps, find('gateway GraphQL, REST operation', w)?.rps), (x) => x >= 0.9)} | ≥ 0.9 |`,
      );
      out.push(
        `| gateway REST ÷ GraphQL ${w} (the narrower bench query) req/s | ${fmt(ratio(find('gateway REST', w)?.rps, find('gateway GraphQL', w)?.rps), 2)} | — |`,
      );
    }
    const rssLimit = engine === 'postgres' ? 200 : 350;
    const gw = rs.filter((r) => r.variant.startsWith('gateway') && !r.na);
    if (gw.length) {
      const worstP99 = Math.max(...gw.filter((r) => r.workload !== 'create').map((r) => r.p99));
      const peak = Math.max(...gw.map((r) => r.rssMb));
      out.push(`| gateway worst read p99 ms @ ${opt.connections} conns | ${fmt(worstP99, 2)} | — |`);
      out.push(`| gateway peak RSS MB | ${mark(peak, (x) => x <= rssLimit)} | ≤ ${rssLimit} |`);
      if (engine === 'postgres') {
        for (const w of ['list-20', 'list-100', 'get'])
          for (const v of ['gateway GraphQL', 'gateway REST']) {
            const r = find(v, w);
            // A REST list always answers its total (the contract's pagination), read beside the page.
            const most = v === 'gateway REST' && w !== 'get' ? 2 : 1;
            if (r) out.push(`| ${v} ${w} SQL statements/request | ${mark(r.sql, (x) => x <= most)} | ${most === 2 ? '2 (page + total)' : 1} |`);
          }
      }
    }
    out.push('');
  }
  return out.join('\n');
}

const started = Date.now();
const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const results = [];
const reference = {};
for (const engine of opt.engines) {
  try {
    await benchEngine(engine, results, reference);
  } catch (error) {
    log(`!! ${engine} failed: ${error.stack || error.message}`);
    results.push({ engine, variant: '(all)', workload: '(all)', na: `failed: ${error.message.split('\n')[0]}` });
  }
}
const md = table(results);
const header = `## assets-gateway bench — ${new Date().toISOString()} — node ${process.version}, ${ASSETS} assets, load on CPU ${opt.loadCpu}, servers on CPU ${opt.serverCpu}; loadavg at start ${loadAtStart}, at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`;
console.log(header + '\n' + md);
mkdirSync(join(BENCH, '.data'), { recursive: true });
writeFileSync(join(BENCH, '.data', 'last-run.md'), header + '\n' + md);
writeFileSync(
  join(BENCH, '.data', 'last-run.json'),
  JSON.stringify(
    results.map(({ req, ...r }) => r),
    null,
    2,
  ),
);
log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
process.exit(0);
