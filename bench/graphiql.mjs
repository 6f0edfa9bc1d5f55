#!/usr/bin/env node
// GraphiQL under load: N browsers opening GraphiQL at once, without a key, against the server as
// `npm start` runs it. Prints whether the server survived and its peak RSS. Not part of CI.
//
//   npm run build && node bench/graphiql.mjs        # GRAPHIQL_LOADS=50, HEAP_LIMIT_MB=128, GRAPHIQL_WARMUP=1
//
// One page load is what a browser fetches: `GET /graphql` with a browser's Accept header, then every
// same-origin /graphql/… file the page names (scripts, styles, Monaco's workers), all read in full.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFlags } from './lib/servers.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const loads = Number(process.env.GRAPHIQL_LOADS || 50);
const heapLimit = process.env.HEAP_LIMIT_MB || '128';
const warmup = process.env.GRAPHIQL_WARMUP !== '0';
const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
/** VmRSS and VmHWM (the kernel's peak RSS of the process) in MB, or null once the process is gone. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (field) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) / 1024);
    return { rss: mb('VmRSS'), hwm: mb('VmHWM') };
  } catch {
    return null;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'assets-gateway-graphiql-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// As `npm start` runs it; rate limits off (RATE_LIMIT_PER_MINUTE=0) so that more than 60 loads
// from one IP measure the page, not the limiter.
const server = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
  cwd: root,
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'production', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
server.stderr.on('data', (chunk) => (stderr += chunk));
const exited = new Promise((ok) => server.on('exit', (code, signal) => ok({ code, signal })));
await new Promise((ok, fail) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    if (/assets-gateway: GraphQL/.test(out)) ok();
  });
  server.on('exit', (code) => fail(new Error(`server exited with ${code} before serving: ${out}${stderr}`)));
});
await new Promise((r) => setTimeout(r, 1000));
const idle = memoryOf(server.pid);

let peakRss = idle.rss;
const sampler = setInterval(() => {
  const now = memoryOf(server.pid);
  if (now) peakRss = Math.max(peakRss, now.rss);
}, 20);

const statuses = new Map();
let bytes = 0;
async function get(path, accept = '*/*') {
  const response = await fetch(base + path, { headers: { accept } });
  const body = await response.arrayBuffer();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  bytes += body.byteLength;
  return Buffer.from(body).toString('utf8');
}
async function pageLoad() {
  const html = await get('/graphql', browserAccept);
  const files = new Set(html.match(/\/graphql\/[\w./-]+\.(js|css|ico|svg|png)/g) ?? []);
  await Promise.all([...files].map((file) => get(file)));
}
/** Runs `count` page loads at once; the phase's figures. */
async function phase(count) {
  statuses.clear();
  bytes = 0;
  peakRss = memoryOf(server.pid)?.rss ?? 0;
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: count }, pageLoad));
  return {
    failed: results.filter((r) => r.status === 'rejected').length,
    statuses: [...statuses].map(([s, n]) => `${s}×${n}`).join(' ') || 'none',
    mib: (bytes / 1024 ** 2).toFixed(1),
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    peak: peakRss,
    after: memoryOf(server.pid)?.rss ?? 'process gone',
  };
}

// One view first (unless GRAPHIQL_WARMUP=0): a server may read GraphiQL once, when first asked for it.
const first = warmup ? await phase(1) : { failed: '-', statuses: '-', mib: '-', seconds: '-', peak: '-', after: '-' };
const parallel = await phase(loads);
clearInterval(sampler);
const after = memoryOf(server.pid);
const healthz = await fetch(`${base}/healthz`).then(
  (r) => r.status,
  (error) => `no answer (${error.cause?.code ?? error.message})`,
);
const survived = healthz === 200;

console.log(`| measure (heap limit ${heapLimit} MB) | first view | ${loads} views in parallel |\n|---|---|---|`);
const row = (name, f) => console.log(`| ${name} | ${f(first)} | ${f(parallel)} |`);
row('loads failed (connection error)', (p) => p.failed);
row('responses by status', (p) => p.statuses);
row('bytes received (decoded)', (p) => `${p.mib} MiB in ${p.seconds} s`);
row('RSS peak, MB (VmRSS sampled every 20 ms)', (p) => p.peak);
row('RSS after, MB', (p) => p.after);
console.log(`| RSS idle before, MB | ${idle.rss} | |`);
console.log(`| survived (GET /healthz afterwards) | ${survived ? 'yes' : 'no'}: ${healthz} | |`);
console.log(`| VmHWM, MB (the process's lifetime peak: before the views / at the end) | ${idle.hwm} / ${after ? after.hwm : 'process gone'} | |`);
if (!survived) {
  server.kill('SIGKILL');
  const { code, signal } = await exited;
  const reason = stderr.split('\n').find((line) => /heap out of memory|FATAL/i.test(line));
  console.log(`| exit | code ${code}, signal ${signal}${reason ? `: ${reason.trim()}` : ''} | |`);
} else {
  server.kill('SIGTERM');
  await exited;
}
rmSync(dataDir, { recursive: true, force: true });
process.exit(survived ? 0 : 1);
