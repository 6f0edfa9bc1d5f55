// npm run bench:files — memory and throughput of uploads and downloads of a 1 GiB file, on each store.
//
// Starts the built server (dist/, `npm run build` first) on embedded PGlite in a fresh
// DATA_DIR under bench/.data/, once per store (BENCH_STORES, default `disk,s3`): local disk, then
// a bucket of the S3 emulator the tests use (s3rver, in a process of its own; not a real S3, so
// the s3 throughput measures the emulator, which writes each part and then the object to disk).
// For each: uploads a generated 1 GiB WAV through POST /api/v1/uploads, attaches it to an audio
// asset, downloads it, and samples the server's RSS (/proc/<pid>/status) every 20 ms: idle, and
// the peaks while uploading and downloading. On disk it then times
// `dd if=/dev/zero of=<same folder> bs=1M count=1024 conv=fsync` and prints the ratio of the
// upload's throughput to dd's. Figures depend on the machine's load: run it on a quiet machine.
// BENCH_UPLOAD=tus uploads through the tus endpoint instead (creation, then 64 MiB PATCHes).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { cpuTicks, freePort, startFlags } from './lib/servers.mjs';

const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const size = Number(process.env.BENCH_FILE_BYTES || 1024 ** 3);
const stores = (process.env.BENCH_STORES || 'disk,s3').split(',');
/** `multipart`: POST /api/v1/uploads; `tus`: a resumable upload, PATCHes of BENCH_TUS_CHUNK_BYTES (default 64 MiB). */
const uploadKind = process.env.BENCH_UPLOAD || 'multipart';
const tusChunkBytes = Number(process.env.BENCH_TUS_CHUNK_BYTES || 64 * 1024 ** 2);
if (!['multipart', 'tus'].includes(uploadKind)) throw new Error('BENCH_UPLOAD must be multipart or tus');
const log = (...args) => console.error('[bench:files]', ...args);

/** CPU seconds (user + system) the process `pid` has used. */
const cpuSeconds = (pid) => cpuTicks(pid) / 100;

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Samples `pid`'s RSS while `work` runs; returns its result and the peak. */
async function sampled(pid, work) {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

function wavHeader(dataBytes) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(48000, 24);
  h.writeUInt32LE(192000, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

function call(port, key, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method, path, headers: { authorization: `Bearer ${key}`, ...headers } }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        if (!res.headers['content-type']?.startsWith('audio/')) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (typeof body === 'function') body(req);
    else req.end(body);
  });
}

/** Writes a multipart body with a `size`-byte WAV, 1 MiB at a time, honouring backpressure. */
async function writeUpload(req, boundary) {
  const chunk = randomBytes(1024 * 1024);
  const write = (data) => (req.write(data) ? undefined : new Promise((r) => req.once('drain', r)));
  await write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  await write(wavHeader(size - 44));
  for (let sent = 44; sent < size; ) {
    const n = Math.min(chunk.length, size - sent);
    await write(n === chunk.length ? chunk : chunk.subarray(0, n));
    sent += n;
  }
  await new Promise((resolve) => req.end(`\r\n--${boundary}--\r\n`, resolve));
  lastByteSent = process.hrtime.bigint();
}
let lastByteSent = 0n;

/** Bytes `from` to `to` of the generated WAV (the same noise chunk repeated after its header), 1 MiB at a time. */
async function writeRange(req, from, to) {
  const chunk = randomBytes(1024 * 1024);
  const write = (data) => (req.write(data) ? undefined : new Promise((r) => req.once('drain', r)));
  let at = from;
  if (at === 0) {
    await write(wavHeader(size - 44));
    at = 44;
  }
  while (at < to) {
    const n = Math.min(chunk.length, to - at);
    await write(n === chunk.length ? chunk : chunk.subarray(0, n));
    at += n;
  }
  await new Promise((resolve) => req.end(resolve));
  lastByteSent = process.hrtime.bigint();
}

/** A tus upload of the WAV: creation, then PATCHes of tusChunkBytes; resolves with the last PATCH's answer (200 and the upload's data). */
async function tusUpload(port, key) {
  const tus = { 'tus-resumable': '1.0.0' };
  const created = await call(port, key, 'POST', '/api/v1/uploads/tus', '', {
    ...tus,
    'upload-length': String(size),
    'upload-metadata': `filename ${Buffer.from('bench.wav').toString('base64')}`,
  });
  if (created.status !== 201) throw new Error(`tus creation answered ${created.status}: ${created.body}`);
  let last;
  for (let offset = 0; offset < size; offset += tusChunkBytes) {
    const end = Math.min(size, offset + tusChunkBytes);
    last = await call(port, key, 'PATCH', created.headers.location, (req) => void writeRange(req, offset, end), {
      ...tus,
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      'content-length': String(end - offset),
    });
    if (end < size && last.status !== 204) throw new Error(`tus PATCH answered ${last.status}: ${last.body}`);
  }
  return { ...last, status: last.status === 200 ? 201 : last.status };
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
  const env = {
    STORAGE_URL: 's3://bench/files',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  return { process: emulator, env };
}

log('building (npm run build)');
execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
for (const store of stores) await measure(store);

async function measure(store) {
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const dataDir = join(ROOT, 'bench/.data/files');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const emulator = store === 's3' ? await startEmulator(join(dataDir, 's3')) : null;
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    UPLOAD_LIMIT_BYTES: String(size + 1024 * 1024),
    ...emulator?.env,
  };
  delete env.DATABASE_URL;

  log(`store: ${store}`);
  const key = execFileSync('npm', ['run', '-s', 'keys', '--', 'create', '--name', 'bench-files', '--scopes', 'read:assets,write:assets'], {
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
    // Warm up the routes once with a small file, then let the process settle.
    await call(port, key, 'GET', '/api/v1/assets');
    await new Promise((r) => setTimeout(r, 2000));
    const idleSamples = [];
    for (let i = 0; i < 20; i++) {
      idleSamples.push(rssMb(server.pid));
      await new Promise((r) => setTimeout(r, 50));
    }
    const idle = idleSamples.sort((a, b) => a - b)[10];

    log(`uploading ${size} bytes`);
    const boundary = 'benchfiles' + Date.now();
    const uploadStart = process.hrtime.bigint();
    const serverCpuStart = cpuSeconds(server.pid);
    const emulatorCpuStart = emulator ? cpuSeconds(emulator.process.pid) : 0;
    const clientCpuStart = process.cpuUsage();
    const upload = await sampled(server.pid, () =>
      uploadKind === 'tus'
        ? tusUpload(port, key)
        : call(port, key, 'POST', '/api/v1/uploads', (req) => void writeUpload(req, boundary), { 'content-type': `multipart/form-data; boundary=${boundary}` }),
    );
    const uploadEnd = process.hrtime.bigint();
    const uploadSeconds = Number(uploadEnd - uploadStart) / 1e9;
    const uploadTailSeconds = Number(uploadEnd - lastByteSent) / 1e9;
    const serverCpu = cpuSeconds(server.pid) - serverCpuStart;
    const clientCpu = process.cpuUsage(clientCpuStart);
    const emulatorCpu = emulator ? cpuSeconds(emulator.process.pid) - emulatorCpuStart : 0;
    if (upload.result.status !== 201) throw new Error(`upload answered ${upload.result.status}: ${upload.result.body}`);
    const { file_path } = JSON.parse(upload.result.body).data;

    const createStart = process.hrtime.bigint();
    const created = await call(port, key, 'POST', '/api/v1/assets', JSON.stringify({ title: 'Bench file', asset_type: 'audio', file_path }), {
      'content-type': 'application/json',
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
    const asset = JSON.parse(created.body).data;
    const createSeconds = Number(process.hrtime.bigint() - createStart) / 1e9;

    log('downloading');
    const downloadStart = process.hrtime.bigint();
    const download = await sampled(server.pid, () => call(port, key, 'GET', `/api/v1/assets/${asset.id}/download`));
    const downloadSeconds = Number(process.hrtime.bigint() - downloadStart) / 1e9;
    if (download.result.status !== 200 || download.result.bytes !== size)
      throw new Error(`download answered ${download.result.status} with ${download.result.bytes} bytes`);

    let dd = [];
    if (store === 'disk') {
      log('timing dd on the same folder');
      const ddFile = join(dataDir, 'dd.tmp');
      const ddStart = process.hrtime.bigint();
      execFileSync('dd', ['if=/dev/zero', `of=${ddFile}`, 'bs=1M', `count=${Math.round(size / 1024 ** 2)}`, 'conv=fsync'], { stdio: 'ignore' });
      const ddSeconds = Number(process.hrtime.bigint() - ddStart) / 1e9;
      rmSync(ddFile, { force: true });
      dd = [
        ['dd conv=fsync, same folder', `${ddSeconds.toFixed(2)} s, ${(size / 1024 ** 2 / ddSeconds).toFixed(0)} MiB/s`],
        ['upload / dd throughput', (ddSeconds / uploadSeconds).toFixed(2)],
      ];
    }

    const mb = size / 1024 ** 2;
    const rows = [
      ['store', store === 's3' ? 's3 (the s3rver emulator, another process on this machine)' : 'disk'],
      [
        'upload through',
        uploadKind === 'tus' ? `tus, PATCHes of ${tusChunkBytes / 1024 ** 2} MiB (the last one also stores the file as an upload)` : 'POST /api/v1/uploads',
      ],
      ['file', `${mb} MiB (WAV, duration_seconds ${asset.duration_seconds})`],
      ['RSS idle', `${idle.toFixed(1)} MB`],
      ['RSS peak, upload', `${upload.peak.toFixed(1)} MB (+${(upload.peak - idle).toFixed(1)})`],
      ['RSS peak, download', `${download.peak.toFixed(1)} MB (+${(download.peak - idle).toFixed(1)})`],
      ['upload', `${uploadSeconds.toFixed(2)} s, ${(mb / uploadSeconds).toFixed(0)} MiB/s`],
      [`upload, last byte sent → ${uploadKind === 'tus' ? '200' : '201'}`, `${uploadTailSeconds.toFixed(2)} s`],
      [
        `upload CPU, server / bench client${emulator ? ' / emulator' : ''}`,
        `${serverCpu.toFixed(2)} s / ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(2)} s${emulator ? ` / ${emulatorCpu.toFixed(2)} s` : ''}`,
      ],
      ...dd,
      ['create (reads the file: a local copy on s3)', `${createSeconds.toFixed(2)} s`],
      ['download', `${downloadSeconds.toFixed(2)} s, ${(mb / downloadSeconds).toFixed(0)} MiB/s`],
      ['load average at the start', loadAtStart],
      ['load average at the end', readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')],
    ];
    console.log('| measure | value |\n|---|---|\n' + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n'));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    emulator?.process.kill('SIGTERM');
    if (emulator) await new Promise((r) => emulator.process.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
