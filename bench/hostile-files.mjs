// node bench/hostile-files.mjs — the server's memory while it reads small hostile files, and the
// largest images it still decodes.
//
// Builds the server (`npm run build`) and, for each scenario, starts dist/index.js as `npm start`
// does (--max-old-space-size=${HEAP_LIMIT_MB:-128}, NODE_ENV=production) on embedded PGlite in a
// fresh DATA_DIR (bench/.data/hostile, removed afterwards), one server per scenario so that none
// inherits another's memory. It uploads the scenario's files, creates their assets all at once,
// and samples the server's RSS (VmRSS in /proc/<pid>/status) every 10 ms: the table gives the RSS
// at idle, the peak while the creates run and the RSS 2 s after the last answer.
//
// BENCH_ROOT=<another checkout, built and installed> runs that checkout's server with the same
// files (the files are made by this checkout's test helpers): the before/after comparison.
// BENCH_ONLY=<regex> runs only the scenarios whose name matches.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { register } from 'tsx/esm/api';
import { freePort, startFlags } from './lib/servers.mjs';

const HERE = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const ROOT = process.env.BENCH_ROOT || HERE;
const log = (...args) => console.error('[bench:hostile]', ...args);

register();
const { makeGifDeclaring, makeLyingDocx, makeLyingOdt, multipartBody } = await import('../test/helpers/files.ts');

const picture = (width, height) => sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } });
const scenarios = [
  { name: 'docx, 1 MB holding 1 GiB (declares 1,000 bytes)', type: 'document', file: 'bomb.docx', count: 1, make: () => makeLyingDocx() },
  { name: 'docx, the same, 2 at once', type: 'document', file: 'bomb.docx', count: 2, make: () => makeLyingDocx() },
  { name: 'odt, 1 MB holding 1 GiB (declares 1,000 bytes)', type: 'document', file: 'bomb.odt', count: 1, make: () => makeLyingOdt() },
  { name: 'GIF, 35 bytes declaring 10,000 × 10,000', type: 'image', file: 'bomb.gif', count: 1, make: () => makeGifDeclaring(10_000, 10_000) },
  { name: 'GIF, the same, 4 at once', type: 'image', file: 'bomb.gif', count: 4, make: () => makeGifDeclaring(10_000, 10_000) },
  { name: 'AVIF, 2 KB, 10,000 × 10,000', type: 'image', file: 'big.avif', count: 1, make: () => picture(10_000, 10_000).avif({ effort: 0 }).toBuffer() },
  // About the largest images of each kind the default budget (96 MB) still decodes, two at once (the cap).
  { name: 'GIF 3,750 × 3,750, 2 at once', type: 'image', file: 'big.gif', count: 2, make: () => picture(3750, 3750).gif().toBuffer() },
  { name: 'AVIF 2,150 × 2,150, 2 at once', type: 'image', file: 'big.avif', count: 2, make: () => picture(2150, 2150).avif({ effort: 0 }).toBuffer() },
  {
    name: 'progressive JPEG 4:4:4 3,800 × 3,800, 2 at once',
    type: 'image',
    file: 'big.jpg',
    count: 2,
    make: () => picture(3800, 3800).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer(),
  },
  {
    name: 'interlaced PNG 4,600 × 4,600, 2 at once',
    type: 'image',
    file: 'big.png',
    count: 2,
    make: () => picture(4600, 4600).png({ progressive: true }).toBuffer(),
  },
  {
    // Deflated: libvips writes an uncompressed tile before its directory, past the 64 KB the upload's type is sniffed from.
    name: 'TIFF 3,600 × 3,600 in one tile, 2 at once',
    type: 'image',
    file: 'big.tif',
    count: 2,
    make: () => picture(3600, 3600).tiff({ compression: 'deflate', tile: true, tileWidth: 3600, tileHeight: 3600 }).toBuffer(),
  },
  { name: 'JPEG 10,000 × 10,000, 2 at once', type: 'image', file: 'big.jpg', count: 2, make: () => picture(10_000, 10_000).jpeg().toBuffer() },
  { name: 'PNG 10,000 × 10,000, 2 at once', type: 'image', file: 'big.png', count: 2, make: () => picture(10_000, 10_000).png().toBuffer() },
].filter((s) => !process.env.BENCH_ONLY || new RegExp(process.env.BENCH_ONLY).test(s.name));

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(port, key, method, path, body, contentType) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
  return { status: response.status, body: await response.text() };
}

const dataDir = join(HERE, 'bench/.data/hostile');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
delete env.DATABASE_URL;

log(`building ${ROOT} (npm run build)`);
execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
const key = execFileSync('npm', ['run', '-s', 'keys', '--', 'create', '--name', 'bench-hostile', '--scopes', 'read:assets,write:assets'], {
  cwd: ROOT,
  env,
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .pop();

async function startServer() {
  const port = await freePort();
  const server = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    const up = await call(port, key, 'GET', '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i > 300) throw new Error('server did not start');
    await sleep(100);
  }
  await call(port, key, 'GET', '/api/v1/assets');
  return { port, server };
}

const rows = [];
for (const scenario of scenarios) {
  log(scenario.name);
  const content = await scenario.make();
  const { port, server } = await startServer();
  try {
    await sleep(2000);
    const idleSamples = [];
    for (let i = 0; i < 20; i++, await sleep(50)) idleSamples.push(rssMb(server.pid));
    const idle = idleSamples.sort((a, b) => a - b)[10];
    const paths = [];
    for (let i = 0; i < scenario.count; i++) {
      const { payload, contentType } = multipartBody([{ name: 'file', filename: scenario.file, content, contentType: 'application/octet-stream' }]);
      const uploaded = await call(port, key, 'POST', '/api/v1/uploads', payload, contentType);
      if (uploaded.status !== 201) throw new Error(`upload answered ${uploaded.status}: ${uploaded.body}`);
      paths.push(JSON.parse(uploaded.body).data.file_path);
    }
    let peak = rssMb(server.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 10);
    const started = Date.now();
    const answers = await Promise.all(
      paths.map((file_path) =>
        call(port, key, 'POST', '/api/v1/assets', JSON.stringify({ title: scenario.name, asset_type: scenario.type, file_path }), 'application/json'),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    await sleep(2000);
    clearInterval(sampler);
    const after = rssMb(server.pid);
    const outcomes = new Map();
    for (const { status, body } of answers) {
      const outcome = `${status} ${status === 201 ? '' : JSON.parse(body).message}`.trim();
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    const answered = [...outcomes].map(([outcome, n]) => (n > 1 ? `${n} × ${outcome}` : outcome)).join('; ');
    rows.push([scenario.name, `${(content.length / 1024).toFixed(1)} KB`, idle, peak, after, `${seconds.toFixed(1)} s`, answered]);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}
rmSync(dataDir, { recursive: true, force: true });

const mb = (value, idle) => `${value.toFixed(0)} MB${idle === undefined ? '' : ` (+${(value - idle).toFixed(0)})`}`;
console.log(`server: ${ROOT}; load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
console.log('| scenario | file | RSS idle | RSS peak | RSS 2 s after | answered in | answer |\n|---|---|---|---|---|---|---|');
for (const [name, size, idle, peak, after, seconds, answered] of rows) {
  console.log(`| ${name} | ${size} | ${mb(idle)} | ${mb(peak, idle)} | ${mb(after, idle)} | ${seconds} | ${answered} |`);
}
