import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of the project as its own process, as npm scripts do. */
export function runTs(script: string, args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return finished(startTs(script, args, env));
}

/** The node flags of package.json's start script, with HEAP_LIMIT_MB at its default: the server's heap as `npm start` gives it. */
export { npmStartNodeFlags } from '../../bench/lib/start-flags.mjs';

/** `nodeArgs` go to node itself, e.g. npmStartNodeFlags(). */
export function startTs(script: string, args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves with everything printed so far once stdout matches `pattern`. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 180_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; saw:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (seen += chunk));
    child.on('close', (code) => reject(new Error(`exited with ${code} before ${pattern}; saw:\n${seen}`)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A gateway process started by startGateway. */
export interface Gateway {
  child: ChildProcess;
  exit: Promise<Finished>;
  port: number;
  url: string;
  /** Everything it printed so far: the start's lines, and its log lines. */
  output(): string;
}

/**
 * A gateway from the source (`src/index.ts`), on a data folder of its own and a free port (or
 * `env.PORT`), resolved once it serves. `cleanups` gets what kills it and removes the folder.
 */
export async function startGateway(env: Record<string, string | undefined>, cleanups: (() => Promise<unknown>)[]): Promise<Gateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ag-gateway-'));
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = startTs('src/index.ts', [], { DATA_DIR: dataDir, ...env, PORT: String(port) });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = finished(child);
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exit;
    await rm(dataDir, { recursive: true, force: true });
  });
  await waitForOutput(child, /assets-gateway: GraphQL/);
  return { child, exit, port, url: `http://127.0.0.1:${port}`, output: () => output };
}
