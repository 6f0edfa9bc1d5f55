// Starting and watching the servers the benches measure (run.mjs, scale.mjs, ab.mjs, files.mjs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { npmStartNodeFlags } from './start-flags.mjs';

/**
 * The node flags `npm start` gives the server (./start-flags.mjs), with HEAP_LIMIT_MB as the
 * script would expand it: for the benches that start dist/ themselves. They hold the heap limit
 * and a 16 MB semi-space (without it, Node 24 took a 64 MB new space under the 128 MB limit and a
 * get cost 6.4x the CPU: RESULTS.md, "Node 24 and the heap limit").
 */
export const startFlags = npmStartNodeFlags(process.env.HEAP_LIMIT_MB || '128');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const logger =
  (tag) =>
  (...a) =>
    console.error(`[${tag} ${new Date().toISOString().slice(11, 19)}]`, ...a);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node ...args` in `cwd` on a free port (PORT, HOST in its environment), pinned to `cpu`
 * with taskset when given, and waits until `ready` (a path) answers. taskset execs node, so the
 * pid held is the server's own.
 */
/**
 * A child's environment: this process's with `layers` over it, where an empty value means "unset"
 * (the gateway refuses a setting that is set but empty, as a likely mistake).
 */
export function childEnvironment(...layers) {
  return Object.fromEntries(Object.entries(Object.assign({}, process.env, ...layers)).filter(([, value]) => value !== ''));
}

export async function startNodeServer({ name, cwd, args, env, ready, cpu, log }) {
  const port = await freePort();
  const childEnv = childEnvironment(env, { PORT: String(port), HOST: '127.0.0.1' });
  const command = cpu ? ['taskset', ['-c', cpu, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command[0], command[1], { cwd, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let exited = false;
  let exitInfo = '';
  child.on('exit', (code, signal) => {
    exited = true;
    exitInfo = `exit ${signal || code}`;
  });
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    if (Date.now() - t0 > 90_000) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after 90 s`);
    }
    try {
      await fetch(base + ready, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      await sleep(250);
    }
  }
  log?.(`${name} up on :${port} (pid ${child.pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    base,
    pid: child.pid,
    child,
    died: () => (exited ? `${name} died (${exitInfo}): ${stderr.trim().split('\n').slice(-6).join(' | ').slice(0, 600)}` : null),
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    },
  };
}

/** CPU time (user + system) the process `pid` has used, in clock ticks (100 per second). */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // utime and stime are fields 14 and 15
  return Number(f[11]) + Number(f[12]);
}

/** The highest resident memory the process has had (VmHWM), in MB. */
export function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
