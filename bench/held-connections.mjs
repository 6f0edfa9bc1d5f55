// node bench/held-connections.mjs — connections that refused clients hold.
//
// Starts the built server as `npm start` does (NODE_ENV=production, --max-old-space-size=128,
// dist/index.js; `npm run build` first) on a fresh DATA_DIR under bench/.data/, with
// UPLOAD_LIMIT_BYTES=1048576, then:
//
// 1. Held connections: opens CONNECTIONS (300) connections without a key, half to POST /graphql
//    and half to POST /api/v1/uploads, each announcing Content-Length: 100000000 and sending the
//    start of its body, then one more byte every TRICKLE_MS (20 s) on every connection still open.
//    Prints the answers (401, then 429 once the per-IP limit is spent) and how many connections
//    the server still holds (its open socket descriptors, /proc/<pid>/fd, over the baseline) at
//    moments up to HOLD_SECONDS (130), and when it held none any more.
// 2. The 413: uploads UPLOAD_MB (20) MiB with the first key the server printed, as a client that
//    sends its whole body before it reads the answer (as Python's requests does), and prints the
//    time until it saw the 413; then the same with Python requests itself, if `python3` has it.
//
// BENCH_ROOT=<checkout> runs another checkout's dist/ (e.g. a build of main, for the figures
// before a change); the default is this repository.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, logger, sleep, startFlags } from './lib/servers.mjs';

const here = new URL('.', import.meta.url).pathname;
const root = resolve(process.env.BENCH_ROOT || join(here, '..'));
const connections = Number(process.env.CONNECTIONS || 300);
const trickleMs = Number(process.env.TRICKLE_MS || 20_000);
const holdSeconds = Number(process.env.HOLD_SECONDS || 130);
const uploadBytes = Number(process.env.UPLOAD_MB || 20) * 1024 * 1024;
const uploadLimit = 1024 * 1024;
const log = logger('held-connections');

/** The server's open sockets (its listening socket and every connection). */
function socketFds(pid) {
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed between the listing and the look
    }
  }
  return sockets;
}

async function startServer() {
  const dataDir = join(here, '.data', `held-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const env = { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, UPLOAD_LIMIT_BYTES: String(uploadLimit) };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...startFlags, 'dist/index.js'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  for (let waited = 0; !/assets-gateway: GraphQL/.test(output); waited += 100) {
    if (child.exitCode !== null || waited > 120_000) throw new Error(`the server did not start:\n${output}`);
    await sleep(100);
  }
  const key = /^\s+(agk_\S+)$/m.exec(output)?.[1];
  if (!key) throw new Error('the server printed no first key (DATA_DIR not fresh?)');
  log(`server from ${root} on :${port}, pid ${child.pid}`);
  return {
    port,
    pid: child.pid,
    key,
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((done) => (child.exitCode !== null ? done() : child.once('exit', done)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const boundary = 'heldconnections';
const filePartHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;

/** One keyless client: its request's start, then a byte every trickleMs while the connection lasts. */
function heldClient(port, i) {
  const graphql = i % 2 === 0;
  const head = graphql
    ? 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"query":"'
    : `POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000000\r\n\r\n${filePartHead}`;
  const client = { status: null, answeredAt: null, endedAt: null, closedAt: null };
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(head));
  socket.on('data', (chunk) => {
    client.answeredAt ??= Date.now();
    client.status ??= /^HTTP\/1\.1 (\d{3})/.exec(String(chunk))?.[1] ?? '?';
  });
  socket.on('end', () => (client.endedAt = Date.now()));
  socket.on('error', () => {});
  socket.on('close', () => (client.closedAt = Date.now()));
  const trickle = setInterval(() => socket.writable && socket.write('x'), trickleMs);
  client.stop = () => {
    clearInterval(trickle);
    socket.destroy();
  };
  return client;
}

async function heldConnections(server) {
  const baseline = socketFds(server.pid);
  const started = Date.now();
  const clients = [];
  for (let i = 0; i < connections; i++) clients.push(heldClient(server.port, i));
  const checkpoints = [1, 5, 10, 30, 60, 90, holdSeconds].filter((s) => s <= holdSeconds);
  const held = {};
  let noneHeldAt = null;
  while (Date.now() - started < holdSeconds * 1000) {
    await sleep(100);
    const now = socketFds(server.pid) - baseline;
    const elapsed = (Date.now() - started) / 1000;
    for (const at of checkpoints) if (elapsed >= at && held[at] === undefined) held[at] = now;
    if (now === 0 && noneHeldAt === null && clients.every((c) => c.answeredAt)) noneHeldAt = elapsed;
  }
  held[holdSeconds] = socketFds(server.pid) - baseline;
  const statuses = {};
  for (const c of clients) statuses[c.status ?? 'none'] = (statuses[c.status ?? 'none'] ?? 0) + 1;
  const lastAnswer = Math.max(...clients.map((c) => c.answeredAt ?? 0));
  const ends = clients.filter((c) => c.endedAt && c.answeredAt).map((c) => c.endedAt - c.answeredAt);
  for (const c of clients) c.stop();
  console.log(`\n1. ${connections} connections without a key, Content-Length: 100000000, one byte every ${trickleMs / 1000} s`);
  console.log(
    `   answers: ${Object.entries(statuses)
      .map(([s, n]) => `${n} × ${s}`)
      .join(', ')}, the last ${((lastAnswer - started) / 1000).toFixed(1)} s after the start`,
  );
  console.log(`   server ended its side (FIN) after the answer: ${ends.length} of ${connections}${ends.length ? `, median ${median(ends)} ms` : ''}`);
  console.log(`   connections the server holds, s after the start: ${checkpoints.map((s) => `${s} s: ${held[s]}`).join(', ')}`);
  console.log(
    noneHeldAt === null
      ? `   still held after ${holdSeconds} s: ${held[holdSeconds]} of ${connections}`
      : `   none held from ${noneHeldAt.toFixed(1)} s after the start (${(noneHeldAt - (lastAnswer - started) / 1000).toFixed(1)} s after the last answer)`,
  );
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * A client that sends its whole body before it reads the answer, as Python's requests does:
 * it sees the 413 once its last write has gone out, or once the connection fails under it.
 */
function sendThenRead(port, key) {
  return new Promise((resolvePromise) => {
    const tail = `\r\n--${boundary}--\r\n`;
    const head = `POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${filePartHead.length + uploadBytes + tail.length}\r\n\r\n${filePartHead}`;
    const started = Date.now();
    let received = '';
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolvePromise({ seconds: (Date.now() - started) / 1000, status: /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 'none', how });
    };
    const socket = connect({ port, host: '127.0.0.1' }, async () => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      try {
        if (!socket.write(head)) await waitDrain(socket);
        for (let sent = 0; sent < uploadBytes && !done; sent += chunk.length) if (!socket.write(chunk)) await waitDrain(socket);
        socket.write(tail, () => finish('body sent'));
      } catch (error) {
        finish(error.code ?? error.message);
      }
    });
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', (error) => finish(error.code ?? error.message));
    socket.on('close', () => finish('connection closed'));
  });
}

const waitDrain = (socket) =>
  new Promise((resolveDrain, reject) => {
    socket.once('drain', resolveDrain);
    socket.once('close', () => reject(new Error('closed while sending')));
  });

function pythonRequests(port, key) {
  const script = `
import sys, time, requests
t = time.time()
try:
    r = requests.post(sys.argv[1], headers={'Authorization': 'Bearer ' + sys.argv[2]}, files={'file': ('big.bin', b'x' * ${uploadBytes})}, timeout=600)
    print(round(time.time() - t, 2), r.status_code)
except Exception as e:
    print(round(time.time() - t, 2), type(e).__name__)
`;
  const run = spawnSync('python3', ['-c', script, `http://127.0.0.1:${port}/api/v1/uploads`, key], { encoding: 'utf8' });
  if (run.status !== 0 || !run.stdout.trim()) return null;
  const [seconds, outcome] = run.stdout.trim().split(' ');
  return { seconds: Number(seconds), outcome };
}

const hasPythonRequests = spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;

const server = await startServer();
try {
  const started = Date.now();
  await heldConnections(server);
  // Past the keyless clients' minute (a key not yet verified is counted on its IP's budget first),
  // so that the upload meets the size limit and nothing else.
  await sleep(Math.max(0, 61_000 - (Date.now() - started)));
  const node = await sendThenRead(server.port, server.key);
  console.log(`\n2. ${uploadBytes / 1024 / 1024} MiB upload, UPLOAD_LIMIT_BYTES=${uploadLimit}`);
  console.log(`   send-then-read client: status ${node.status} seen after ${node.seconds.toFixed(2)} s (${node.how})`);
  const python = hasPythonRequests ? pythonRequests(server.port, server.key) : null;
  console.log(python ? `   Python requests: ${python.outcome} after ${python.seconds.toFixed(2)} s` : '   Python requests: not run (python3 without requests)');
} finally {
  await server.stop();
}
