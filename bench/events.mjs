// The event log's figures: how soon a subscriber hears of a create (from the create's answer to
// the event's arrival, p50/p99, on the process that made it and on another), and what the outbox
// costs a write (creates per second with the event log against a build without it).
//
//   npm run bench:events                       # latency only
//   EVENTS_BASELINE=<git ref> npm run bench:events   # and creates/s against that ref (e.g. the commit before the event log)
//
// Runs gateways from the source (tsx) on the PostgreSQL of BENCH_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), each variant on a database of its own, created and
// dropped here. Env: EVENTS_CREATES (200, latency), EVENTS_SECONDS (10, per throughput run),
// (0 skips the latency), EVENTS_CONCURRENCY (8), EVENTS_PAIRS (2: A B, B A …; this machine's speed drifts),
// EVENTS_WARMUP_RUNS (1: one run of each variant first, not counted; the very first run of a bench
// is slower whatever it runs: 364 creates/s against 537–570 for the same build after it).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, logger, sleep } from './lib/servers.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const log = logger('events');
const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const creates = Number(process.env.EVENTS_CREATES || 200);
const seconds = Number(process.env.EVENTS_SECONDS || 10);
const concurrency = Number(process.env.EVENTS_CONCURRENCY || 8);
const pairs = Number(process.env.EVENTS_PAIRS || 2);
const warmupRuns = Number(process.env.EVENTS_WARMUP_RUNS ?? 1);
const baselineRef = process.env.EVENTS_BASELINE;
const cleanups = [];
const sum = (values) => values.reduce((total, value) => total + value, 0);

async function admin(sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freshDatabase(name) {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A gateway process from the source in `root`; resolves once it serves, with the first key if it printed one. */
async function startGateway(root, databaseUrl) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'agw-events-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((r) => child.once('exit', r));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  for (let i = 0; i < 600 && !output.includes('assets-gateway: GraphQL'); i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
    await sleep(100);
  }
  return { base: `http://127.0.0.1:${port}`, key: /^\s+(agk_\S+)$/m.exec(output)?.[1], stop };
}

async function createAsset(base, key, title) {
  const response = await fetch(`${base}/api/v1/assets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title, asset_type: 'pdf' }),
  });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
  return (await response.json()).data.id;
}

/** An SSE subscription; `arrivals` maps an asset id to when its asset.created arrived (performance.now()). */
async function subscribe(base, key) {
  const abort = new AbortController();
  const arrivals = new Map();
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { assetEvents(filter: { types: ["asset.created"] }) { id assetId } }' }),
    signal: abort.signal,
  });
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        const now = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          const event = data && JSON.parse(data).data?.assetEvents;
          if (event) arrivals.set(event.assetId, now);
        }
      }
    } catch {
      // closed
    }
  })();
  await sleep(500);
  return { arrivals, close: () => abort.abort() };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value) => `${value.toFixed(1)} ms`;

async function latency() {
  const databaseUrl = await freshDatabase('agw_events_bench_latency');
  const a = await startGateway(ROOT, databaseUrl);
  const b = await startGateway(ROOT, databaseUrl);
  const same = await subscribe(a.base, a.key);
  const other = await subscribe(b.base, a.key);
  const answered = new Map();
  for (let i = 0; i < creates; i++) {
    const id = await createAsset(a.base, a.key, `Latency ${i}`);
    answered.set(id, performance.now());
    await sleep(10);
  }
  await sleep(6000);
  for (const [name, { arrivals }] of [
    ['same process', same],
    ['other process (LISTEN/NOTIFY)', other],
  ]) {
    const delays = [...answered].filter(([id]) => arrivals.has(id)).map(([id, at]) => arrivals.get(id) - at);
    console.log(
      `latency, create answered → event received, ${name}: ${delays.length}/${creates} received, p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}`,
    );
  }
  same.close();
  other.close();
  await a.stop();
  await b.stop();
}

async function throughput(root, name) {
  const databaseUrl = await freshDatabase(`agw_events_bench_${name}`);
  const gateway = await startGateway(root, databaseUrl);
  // Warm up, then count creates answered within the window.
  for (let i = 0; i < 50; i++) await createAsset(gateway.base, gateway.key, `Warm ${i}`);
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        await createAsset(gateway.base, gateway.key, `Load ${worker} ${i}`);
        done++;
      }
    }),
  );
  await gateway.stop();
  return done / seconds;
}

/** The gateway's source at `ref`, runnable: its files, this checkout's node_modules, its generated clients. */
function checkout(ref) {
  const dir = mkdtempSync(join(tmpdir(), 'agw-events-baseline-'));
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${ref}" | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync('npx', ['prisma', 'generate'], { cwd: dir, stdio: 'ignore' });
  execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts'], { cwd: dir, stdio: 'ignore' });
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

try {
  if (creates > 0) {
    log(`latency: ${creates} creates, one subscriber on the same process and one on another`);
    await latency();
  }
  if (baselineRef) {
    const baseline = checkout(baselineRef);
    const runs = { outbox: [], baseline: [] };
    for (let run = 0; run < warmupRuns; run++) {
      for (const name of ['outbox', 'baseline']) {
        const rate = await throughput(name === 'outbox' ? ROOT : baseline, name);
        log(`${name}: ${rate.toFixed(1)} creates/s (warm-up, not counted)`);
      }
    }
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 ? ['baseline', 'outbox'] : ['outbox', 'baseline'];
      for (const name of order) {
        const rate = await throughput(name === 'outbox' ? ROOT : baseline, name);
        runs[name].push(rate);
        log(`${name}: ${rate.toFixed(1)} creates/s`);
      }
    }
    const ratios = runs.outbox.map((rate, i) => rate / runs.baseline[i]);
    console.log(
      `creates/s (REST, ${concurrency} at once, ${seconds} s per run), with the outbox: ${runs.outbox.map((r) => r.toFixed(1)).join(', ')}; without (${baselineRef}): ${runs.baseline.map((r) => r.toFixed(1)).join(', ')}; ratio per pair: ${ratios.map((r) => r.toFixed(2)).join(', ')}; summed ${(sum(runs.outbox) / sum(runs.baseline)).toFixed(3)}`,
    );
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
