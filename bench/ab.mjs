// A/B: is one build of the gateway cheaper than another? Starts each variant in turn, pinned to
// CPU 1 with the load on CPU 0, over the PostgreSQL bench database, and alternates them in pairs
// (A B, B A, A B …), because this machine's speed drifts by up to 2x within minutes: only
// figures from the same pairs compare. Prints server CPU µs per request, req/s and p99 per pair.
//
//   npx tsc -p tsconfig.build.json --outDir builds/a/dist   (from the root, once per build)
//   cd bench && node ab.mjs ../builds/a ../builds/b+--max-semi-space-size=32 postgraphile
//
// A variant is a directory holding dist/, optionally with node flags after '+' (comma-separated)
// and environment variables after '?' (`../builds/a?LOG_LEVEL=warn`), or `postgraphile`. Keep the builds in the root's builds/ (git-ignored): there they find the
// root's node_modules, and not bench/'s second copy of graphql (PostGraphile's). Env: AB_WORKLOADS (list-20,get; see lib/requests.mjs), AB_PAIRS (3),
// AB_SECONDS (5). Needs a prior `npm run bench` for the seeded database `assets_bench`.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabaseUrl, createReadKey } from './lib/pgsetup.mjs';
import { gatewayRequests, postgraphileRequests } from './lib/requests.mjs';
import { cpuTicks, freePort, median, peakRssMb, startFlags } from './lib/servers.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const databaseUrl = benchDatabaseUrl();
const workloads = (process.env.AB_WORKLOADS || 'list-20,get').split(',');
const pairs = Number(process.env.AB_PAIRS || 3);
const seconds = Number(process.env.AB_SECONDS || 5);
const variants = process.argv.slice(2);
if (variants.length < 2) throw new Error('Give at least two variants: <dir-with-dist>[+flags] or postgraphile');
for (const w of workloads) if (!gatewayRequests[w]) throw new Error(`Unknown workload ${w}; one of ${Object.keys(gatewayRequests).join(', ')}`);
const log = (m) => process.stderr.write(`[ab] ${m}\n`);

const key = createReadKey(databaseUrl, 'ab');
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });

async function start(variant) {
  const isPostGraphile = variant === 'postgraphile';
  // `dir+flag,flag?NAME=value&NAME=value`: node flags after '+', environment after '?'.
  const [build, query = ''] = variant.split('?');
  const [dir, flags = ''] = build.split('+');
  const args = isPostGraphile
    ? ['--import', './lib/polyfill.mjs', 'postgraphile-server.mjs']
    : [...startFlags, ...flags.split(',').filter(Boolean), 'dist/index.js'];
  const port = await freePort();
  const child = spawn('taskset', ['-c', '1', process.execPath, ...args], {
    cwd: isPostGraphile ? BENCH : resolve(dir),
    stdio: ['ignore', 'ignore', 'inherit'],
    // As `npm start` runs it (default log level, production mode), without rate limits.
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: '0',
      ...Object.fromEntries(new URLSearchParams(query)),
    },
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`${variant} exited while starting (its stderr is above)`);
    try {
      if ((await fetch(url + (isPostGraphile ? '/graphql' : '/healthz'))).status < 500) break;
    } catch {
      /* not up yet */
    }
    if (i > 600) {
      child.kill('SIGKILL');
      throw new Error(`${variant} did not start`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, requests: isPostGraphile ? postgraphileRequests : gatewayRequests };
}

const results = new Map(); // `${workload}\t${variant}` → [{ us, rps, p99 }]
for (let pair = 0; pair < pairs; pair++) {
  for (const variant of pair % 2 ? [...variants].reverse() : variants) {
    const { child, url, requests } = await start(variant);
    try {
      for (const workload of workloads) {
        const request = requests[workload];
        if (!request) continue;
        const check = await fetch(url + request.path, { method: request.method, headers, body: request.body });
        const text = await check.text();
        if (check.status !== 200 || text.includes('"errors"')) throw new Error(`${variant} ${workload}: ${check.status} ${text.slice(0, 200)}`);
        const load = { url: url + request.path, method: request.method, body: request.body, headers, connections: 16 };
        await autocannon({ ...load, duration: 2 });
        const before = cpuTicks(child.pid);
        const run = await autocannon({ ...load, duration: seconds });
        const us = ((cpuTicks(child.pid) - before) * 10_000) / run.requests.total; // 100 ticks per second
        const rows = results.get(`${workload}\t${variant}`) ?? [];
        rows.push({ us: Math.round(us), rps: Math.round(run.requests.average), p99: run.latency.p99 });
        results.set(`${workload}\t${variant}`, rows);
      }
      const rss = results.get(`peak RSS MB\t${variant}`) ?? [];
      rss.push({ us: Math.round(peakRssMb(child.pid)) });
      results.set(`peak RSS MB\t${variant}`, rss);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.on('exit', r));
    }
    log(`pair ${pair + 1}/${pairs}: ${variant} done`);
  }
}

console.log('| workload | variant | server CPU µs/req, per pair | median | req/s | p99 ms |\n|---|---|---|---:|---|---|');
for (const [name, rows] of [...results].sort()) {
  const [workload, variant] = name.split('\t');
  const extra = workload === 'peak RSS MB' ? ['', ''] : [rows.map((r) => r.rps).join(' '), rows.map((r) => r.p99).join(' ')];
  console.log(`| ${workload} | ${variant} | ${rows.map((r) => r.us).join(' ')} | ${median(rows.map((r) => r.us))} | ${extra.join(' | ')} |`);
}

// Each variant against the first, pair by pair: the first's CPU per request ÷ the variant's (above 1: cheaper).
console.log(`\n| workload | variant | ${variants[0]} CPU/req ÷ variant's, per pair | median |\n|---|---|---|---:|`);
for (const workload of workloads) {
  const first = results.get(`${workload}\t${variants[0]}`);
  if (!first) continue;
  for (const variant of variants.slice(1)) {
    const rows = results.get(`${workload}\t${variant}`);
    if (!rows) continue;
    const ratios = rows.map((row, i) => first[i].us / row.us);
    console.log(`| ${workload} | ${variant} | ${ratios.map((r) => r.toFixed(2)).join(' ')} | ${median(ratios).toFixed(2)} |`);
  }
}
