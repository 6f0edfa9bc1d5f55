// Where does the gateway's CPU go? Starts the built gateway (dist/) under `node --cpu-prof` on the
// PostgreSQL bench database that `npm run bench` seeded, loads one workload with autocannon,
// stops the server and prints self time by package and the hottest functions.
//
//   node profile.mjs [list-20|list-100|get|typical|rest-list-20|rest-get] [seconds]
//
// Needs a prior `npm run bench` (for the seeded database `assets_bench`) and `npm run build`.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabaseUrl, createReadKey } from './lib/pgsetup.mjs';
import { gatewayRequests } from './lib/requests.mjs';
import { startFlags } from './lib/servers.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const [workload = 'list-20', seconds = '10'] = process.argv.slice(2);
const databaseUrl = benchDatabaseUrl();
const port = 4917;
const log = (m) => process.stderr.write(`[profile] ${m}\n`);

const key = createReadKey(databaseUrl, 'profile');

const request = gatewayRequests[workload];
if (!request) throw new Error(`Unknown workload ${workload}; one of ${Object.keys(gatewayRequests).join(', ')}`);

const profileDir = mkdtempSync(join(tmpdir(), 'gateway-profile-'));
const server = spawn('taskset', ['-c', '1', process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...startFlags, 'dist/index.js'], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    RATE_LIMIT_PER_MINUTE: '0',
  },
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    /* not up yet */
  }
  if (i > 200) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 50));
}
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const check = await fetch(url + request.path, { method: request.method, headers, body: request.body });
log(`${workload}: ${check.status} ${(await check.text()).slice(0, 120)}…`);
execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
const result = await autocannon({ url: url + request.path, method: request.method, body: request.body, headers, connections: 16, duration: Number(seconds) });
log(`${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx`);
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));

// Self time per package (node_modules/<pkg>), per our own source, and per function.
const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
const selfByNode = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) selfByNode.set(profile.samples[i], (selfByNode.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
const byPackage = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = selfByNode.get(node.id) ?? 0;
  if (!us) continue;
  const { url: src, functionName, lineNumber } = node.callFrame;
  if (functionName === '(idle)' || (functionName === '(program)' && !src)) {
    if (functionName === '(idle)') continue;
  }
  total += us;
  const pkg = src.includes('node_modules/')
    ? src
        .split('node_modules/')
        .pop()
        .split('/')
        .slice(0, src.split('node_modules/').pop().startsWith('@') ? 2 : 1)
        .join('/')
    : src.startsWith('node:')
      ? src
      : src
        ? src.replace(/^.*\/(dist|src)\//, '$1/')
        : functionName;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  const fn = `${functionName || '(anonymous)'} ${src.replace(/^.*node_modules\//, '')}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const top = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
console.log(
  `# ${workload}: self time of ${(total / 1e6).toFixed(2)} s busy CPU\n\n## by package\n${top(byPackage, 25)}\n\n## by function\n${top(byFunction, 40)}`,
);
log(`profile: ${join(profileDir, file)}`);
