// WEB_CONCURRENCY=2 against 1: requests per second of the list-20 workload, the gateway started
// as `npm start` runs it (dist/index.js, NODE_ENV=production, 128 MB heap, the default log
// level), over a PostgreSQL database seeded as `npm run bench` seeds it. Nothing is pinned: the
// workers, PostgreSQL and the load generator (autocannon, in this process) share the machine's
// cores, as they would on one small host. The variants alternate in pairs (1 2, 2 1, 1 2 …),
// because this machine's speed drifts within minutes: compare the figures of one pair.
//
//   npm run bench:cluster        (from the root: builds, installs bench/'s own dependencies once, runs this)
//
// Env: CLUSTER_PAIRS (4), CLUSTER_SECONDS (10), CLUSTER_WARMUP_SECONDS (3), CLUSTER_CONNECTIONS (16),
// CLUSTER_RATE (requests/s of the timed run; unset: as many as answered), BENCH_DATABASE_URL (the
// server, default postgres://postgres@127.0.0.1:5432/postgres; the database assets_bench_cluster
// is created and seeded there, and reused by the next runs).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createReadKey, dbUrlFor, ROOT, setupPostgres } from './lib/pgsetup.mjs';
import { gatewayRequests } from './lib/requests.mjs';
import { cpuTicks, freePort, logger, sleep, startFlags } from './lib/servers.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const pairs = Number(process.env.CLUSTER_PAIRS || 4);
const seconds = Number(process.env.CLUSTER_SECONDS || 10);
const connections = Number(process.env.CLUSTER_CONNECTIONS || 16);
const warmupSeconds = Number(process.env.CLUSTER_WARMUP_SECONDS || 3);
/** Requests per second across all connections for the timed run; unset: as many as the server answers. */
const overallRate = process.env.CLUSTER_RATE ? Number(process.env.CLUSTER_RATE) : undefined;
const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const log = logger('cluster');
if (!existsSync(`${ROOT}/dist/index.js`)) throw new Error('No dist/index.js: run `npm run build` in the root first');

/** The bench's database from an earlier run, when it holds the whole data set; otherwise it is seeded afresh. */
async function seededBefore(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query('SELECT count(*)::int AS n FROM assets')).rows[0].n === 100_000;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
let databaseUrl = dbUrlFor(adminUrl, 'assets_bench_cluster');
let key;
if (await seededBefore(databaseUrl)) {
  log('reusing assets_bench_cluster from an earlier run');
  key = createReadKey(databaseUrl, 'cluster bench');
} else {
  log('creating and seeding assets_bench_cluster (100,000 assets)');
  const setup = await setupPostgres(adminUrl, 'assets_bench_cluster', log);
  [databaseUrl, key] = [setup.url, setup.keys.read];
}
const request = gatewayRequests['list-20'];
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

/** Starts the gateway as `npm start` does; resolves once every process serves (the address line), with the pids of all of them. */
async function start(processes) {
  const port = await freePort();
  // The log goes to a file, as a deployment's would: a pipe to this busy process would hold the writers up.
  mkdirSync(`${BENCH}/.data`, { recursive: true });
  const logPath = `${BENCH}/.data/cluster-${processes}-${process.pid}.log`;
  const logFd = openSync(logPath, 'w');
  const child = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
    cwd: ROOT,
    stdio: ['ignore', logFd, logFd],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: '0',
      WEB_CONCURRENCY: String(processes),
    },
  });
  closeSync(logFd);
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  let output = '';
  for (let waited = 0; !output.includes('assets-gateway: GraphQL'); waited += 100) {
    if (child.exitCode !== null || waited > 120_000) throw new Error(`WEB_CONCURRENCY=${processes} did not start:\n${output.slice(-2000)}`);
    await sleep(100);
    output = readFileSync(logPath, 'utf8');
  }
  rmSync(logPath);
  const workers = /processes \(pids ([\d, ]+)\)/.exec(output)?.[1].split(', ').map(Number) ?? [];
  return { url: `http://127.0.0.1:${port}`, pids: [child.pid, ...workers], child, exit };
}

const runs = { 1: [], 2: [] };
for (let pair = 0; pair < pairs; pair++) {
  for (const processes of pair % 2 ? [2, 1] : [1, 2]) {
    const server = await start(processes);
    try {
      const check = await fetch(server.url + request.path, { method: request.method, headers, body: request.body });
      const text = await check.text();
      if (check.status !== 200 || !text.includes('"items":[{')) throw new Error(`list-20 answered ${check.status}: ${text.slice(0, 200)}`);
      const load = { url: server.url + request.path, method: request.method, body: request.body, headers, connections };
      await autocannon({ ...load, duration: warmupSeconds });
      const ticksEach = () => server.pids.map((pid) => cpuTicks(pid));
      const ticks = () => ticksEach().reduce((sum, t) => sum + t, 0);
      const beforeEach = ticksEach();
      const before = ticks();
      const run = await autocannon({ ...load, duration: seconds, overallRate });
      const ok = run['2xx'];
      if (run.non2xx || run.errors || run.timeouts)
        throw new Error(`WEB_CONCURRENCY=${processes}: ${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`);
      const rps = Math.round(ok / seconds);
      const cpuUs = Math.round(((ticks() - before) * 10_000) / ok);
      runs[processes].push({ rps, cpuUs, p99: run.latency.p99 });
      const share = ticksEach().map((t, i) => t - beforeEach[i]);
      log(
        `pair ${pair + 1}/${pairs}, WEB_CONCURRENCY=${processes}: ${rps} req/s, ${cpuUs} µs of gateway CPU per request, p99 ${run.latency.p99} ms; CPU ticks by process (primary first) ${share.join(' ')}`,
      );
    } finally {
      server.child.kill('SIGTERM');
      const code = await server.exit;
      if (code !== 0) log(`WEB_CONCURRENCY=${processes} exited with ${code}`);
    }
  }
}

/** The middle value; with an even count, the mean of the two middle ones (pairs are few). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
const ratios = runs[2].map((run, i) => run.rps / runs[1][i].rps);
const fixed = (x) => x.toFixed(2);
console.log(`list-20, ${connections} connections, ${seconds} s per run, ${pairs} pairs; ${new Date().toISOString().slice(0, 16)} UTC\n`);
console.log('| WEB_CONCURRENCY | req/s, per pair | median | gateway CPU µs/request (all processes), median | p99 ms, median |');
console.log('|---|---|---:|---:|---:|');
for (const processes of [1, 2]) {
  const rows = runs[processes];
  console.log(
    `| ${processes} | ${rows.map((r) => r.rps).join(' ')} | ${Math.round(median(rows.map((r) => r.rps)))} | ${Math.round(median(rows.map((r) => r.cpuUs)))} | ${Math.round(median(rows.map((r) => r.p99)))} |`,
  );
}
console.log(`| 2 ÷ 1 | ${ratios.map(fixed).join(' ')} | ${fixed(median(ratios))} | | |`);
