// npm run bench:renditions — renditions (GET /api/v1/assets/{id}/image) of a 12-megapixel JPEG, on each store.
//
// Starts the built server (dist/, built first) on embedded PGlite in a fresh DATA_DIR under
// bench/.data/renditions, once per store (BENCH_STORES, default `disk,s3`): local disk, then a
// bucket of the S3 emulator the tests use (s3rver, in a process of its own: not a real S3). For each:
//   1. uploads a 4000 × 3000 JPEG (noise at two scales over a gradient) as an image asset;
//   2. first render to 640 px WebP: BENCH_SAMPLES (default 9) renders one after the other, each
//      a rendition not made before (q 80, 79, …), timed from request to last byte; p50;
//   3. a cached rendition: the first one again, BENCH_SAMPLES × 3 times (X-Rendition-Cache: hit); p50;
//      and a download of a file of the same size (a text document), as many times; p50; the ratio;
//   4. 50 distinct renders at once (w = 600 … 649) with the default limits (RENDITION_CONCURRENCY 2,
//      RENDITION_QUEUE_LIMIT 64): the server's peak RSS (/proc/<pid>/status every 20 ms), the
//      wall time, and how many answered 5xx.
// Figures depend on the machine's load (printed): run it on a quiet machine.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { freePort, startFlags } from './lib/servers.mjs';

const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const stores = (process.env.BENCH_STORES || 'disk,s3').split(',');
const samples = Number(process.env.BENCH_SAMPLES || 9);
const log = (...args) => console.error('[bench:renditions]', ...args);
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function call(port, key, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request({ port, host: '127.0.0.1', method, path, headers: { authorization: `Bearer ${key}`, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), ms: Number(process.hrtime.bigint() - start) / 1e6 }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function multipart(name, content) {
  const boundary = `benchrenditions${Date.now()}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function createAsset(port, key, assetType, name, content) {
  const { body, contentType } = multipart(name, content);
  const uploaded = await call(port, key, 'POST', '/api/v1/uploads', body, { 'content-type': contentType });
  if (uploaded.status !== 201) throw new Error(`upload answered ${uploaded.status}: ${uploaded.body}`);
  const filePath = JSON.parse(uploaded.body.toString()).data.file_path;
  const created = await call(port, key, 'POST', '/api/v1/assets', JSON.stringify({ title: name, asset_type: assetType, file_path: filePath }), {
    'content-type': 'application/json',
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
  return JSON.parse(created.body.toString()).data.id;
}

/** The S3 emulator in a process of its own, with a bucket `bench`; its settings for the gateway. */
async function startEmulator(directory) {
  const port = await freePort();
  const emulator = spawn(
    process.execPath,
    ['node_modules/s3rver/bin/s3rver.js', '-d', directory, '-a', '127.0.0.1', '-p', String(port), '-s', '--configure-bucket', 'bench'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const req = request({ port, host: '127.0.0.1', method: 'HEAD', path: '/bench' }, (res) => resolve(res.statusCode === 200));
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) break;
    if (i > 100) throw new Error('the S3 emulator did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: emulator,
    env: {
      STORAGE_URL: 's3://bench/renditions',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
  };
}

log('building (npm run build)');
execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
log('making a 4000 × 3000 JPEG');
const gradient = await sharp(
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#3a6"/><stop offset="1" stop-color="#c52"/></linearGradient></defs>
  <rect width="4000" height="3000" fill="url(#g)"/></svg>`),
)
  .png()
  .toBuffer();
// Detail at every scale, as a photo has: coarse noise (which survives the shrink to 640 px) and fine grain.
const coarse = await sharp({ create: { width: 500, height: 375, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
  .png()
  .toBuffer();
const grain = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 12 } } })
  .png()
  .toBuffer();
const noise = await sharp(await sharp(coarse).resize(4000, 3000, { kernel: 'cubic' }).png().toBuffer())
  .composite([{ input: grain, blend: 'overlay' }])
  .png()
  .toBuffer();
const jpeg = await sharp(gradient)
  .composite([{ input: noise, blend: 'overlay' }])
  .jpeg({ quality: 85 })
  .toBuffer();
log(`JPEG: ${(jpeg.length / 1024 / 1024).toFixed(1)} MB`);

const results = [];
for (const store of stores) results.push(await measure(store));
console.log(JSON.stringify(results, null, 2));

async function measure(store) {
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const dataDir = join(ROOT, 'bench/.data/renditions');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const emulator = store === 's3' ? await startEmulator(join(dataDir, 's3')) : null;
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '0', ...emulator?.env };
  delete env.DATABASE_URL;
  log(`store: ${store}`);
  const key = execFileSync('npm', ['run', '-s', 'keys', '--', 'create', '--name', 'bench-renditions', '--scopes', 'read:assets,write:assets'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  const port = await freePort();
  const server = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await call(port, key, 'GET', '/healthz').then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const id = await createAsset(port, key, 'image', 'photo.jpg', jpeg);
    const image = (query) => call(port, key, 'GET', `/api/v1/assets/${id}/image?${query}`);

    const first = [];
    let rendition;
    for (let i = 0; i < samples; i++) {
      const response = await image(`w=640&format=webp&q=${80 - i}`);
      if (response.status !== 200 || response.headers['x-rendition-cache'] !== 'miss') throw new Error(`render answered ${response.status}`);
      first.push(response.ms);
      rendition ??= response;
    }
    const cached = [];
    for (let i = 0; i < samples * 3; i++) {
      const response = await image('w=640&format=webp&q=80');
      if (response.headers['x-rendition-cache'] !== 'hit') throw new Error('the repeat was not a hit');
      cached.push(response.ms);
    }
    // A file of the rendition's size: a text document (its bytes are not parsed beyond the words).
    const size = rendition.body.length;
    const text = Buffer.alloc(size, 'word ');
    const documentId = await createAsset(port, key, 'document', 'same-size.txt', text);
    const downloads = [];
    for (let i = 0; i < samples * 3; i++) {
      const response = await call(port, key, 'GET', `/api/v1/assets/${documentId}/download`);
      if (response.status !== 200 || response.body.length !== size) throw new Error(`download answered ${response.status}`);
      downloads.push(response.ms);
    }

    let peak = rssMb(server.pid);
    const before = peak;
    const timer = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 20);
    const start = Date.now();
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => image(`w=${600 + i}&format=webp`)));
    const wallMs = Date.now() - start;
    clearInterval(timer);
    const statuses = {};
    for (const { status } of many) statuses[status] = (statuses[status] ?? 0) + 1;
    const result = {
      store,
      loadAtStart,
      jpegBytes: jpeg.length,
      renditionBytes: size,
      firstRenderP50Ms: Math.round(p50(first)),
      cachedP50Ms: Number(p50(cached).toFixed(2)),
      sameSizeDownloadP50Ms: Number(p50(downloads).toFixed(2)),
      cachedToDownloadRatio: Number((p50(cached) / p50(downloads)).toFixed(2)),
      concurrent50: { wallMs, rssBeforeMb: Math.round(before), peakRssMb: Math.round(peak), statuses, count5xx: many.filter((r) => r.status >= 500).length },
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    emulator?.process.kill('SIGTERM');
  }
}
