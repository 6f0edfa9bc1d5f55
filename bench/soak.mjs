#!/usr/bin/env node
// Soak: the gateway under a fixed request rate for several minutes, on a fresh embedded database
// (or DATABASE_URL), with its rate limits on as shipped. Prints errors, statuses, latency and the
// server's RSS over time: a healthy run has 0 errors and a flat RSS. Not part of CI.
//
//   npm run build && node bench/soak.mjs            # SOAK_RATE=30 (requests/s; two keys, each under its 1200/min), SOAK_MINUTES=5
//
// The mix: REST list and get, GraphQL list and get, and one create in ten, on two keys.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFlags } from './lib/servers.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const rate = Number(process.env.SOAK_RATE || 30);
const minutes = Number(process.env.SOAK_MINUTES || 5);
const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);

const dataDir = mkdtempSync(join(tmpdir(), 'assets-gateway-soak-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
  cwd: root,
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'production', LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const firstKey = await new Promise((ok, fail) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    if (/assets-gateway: GraphQL/.test(out)) ok(/^\s+(agk_\S+)$/m.exec(out)?.[1]);
  });
  server.on('exit', (code) => fail(new Error(`server exited with ${code}: ${out}`)));
});
if (!firstKey) throw new Error('soak needs a fresh data dir (no first key printed); set DATABASE_URL to an empty database or unset it');

const call = async (method, path, body, key = firstKey) => {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};
// A second key through the API, so the soak also exercises key management and two budgets.
const second = (await call('POST', '/api/v1/keys', { name: 'soak', scopes: ['read:assets', 'write:assets'] })).body.data.key;
const seeded = await call('POST', '/api/v1/assets', { title: 'Soak seed', asset_type: 'pdf' });
const assetId = seeded.body.data.id;

const mix = [
  () => call('GET', '/api/v1/assets?per_page=20'),
  () => call('GET', `/api/v1/assets/${assetId}`, undefined, second),
  () => call('POST', '/graphql', { query: '{ assets(perPage: 20) { total items { id title } } }' }),
  () => call('POST', '/graphql', { query: 'query($id: ID!) { asset(id: $id) { id title } }', variables: { id: assetId } }, second),
  () => call('GET', '/api/v1/assets?search=soak'),
  () => call('POST', '/graphql', { query: '{ assetsConnection(first: 10) { totalCount edges { cursor } } }' }),
  () => call('GET', '/api/v1/assets?page=2&per_page=5', undefined, second),
  () => call('POST', '/graphql', { query: '{ assets(perPage: 5, sort: TITLE, order: ASC) { items { id } } }' }, second),
  () => call('GET', '/api/v1/assets?asset_type=pdf'),
  (i) => call('POST', '/api/v1/assets', { title: `Soak ${i}`, asset_type: 'link', external_url: 'https://example.com' }, i % 2 ? second : firstKey),
];

const statuses = new Map();
const latencies = [];
const samples = [];
let errors = 0;
let sent = 0;
const started = Date.now();
const end = started + minutes * 60_000;
const inFlight = new Set();
let nextSample = started;
while (Date.now() < end) {
  const due = started + (sent * 1000) / rate;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  const i = sent++;
  const t0 = performance.now();
  const p = mix[i % mix.length](i)
    .then(({ status }) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) errors++;
      latencies.push(performance.now() - t0);
    })
    .catch(() => void errors++)
    .finally(() => inFlight.delete(p));
  inFlight.add(p);
  if (Date.now() >= nextSample) {
    samples.push({ s: Math.round((Date.now() - started) / 1000), rss: rssMb(server.pid) });
    nextSample += 15_000;
  }
}
await Promise.all(inFlight);
samples.push({ s: Math.round((Date.now() - started) / 1000), rss: rssMb(server.pid) });
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dataDir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(1);
console.log(`soak: ${sent} requests at ${rate}/s for ${minutes} min; errors (5xx or failed) ${errors}`);
console.log(
  `statuses: ${[...statuses]
    .sort()
    .map(([s, n]) => `${s}×${n}`)
    .join(' ')}`,
);
console.log(`latency ms: p50 ${pct(0.5)}, p99 ${pct(0.99)}, max ${latencies.at(-1).toFixed(1)}`);
console.log(`server RSS MB over time (s:MB): ${samples.map(({ s, rss }) => `${s}:${rss}`).join(' ')}`);
process.exit(errors ? 1 : 0);
