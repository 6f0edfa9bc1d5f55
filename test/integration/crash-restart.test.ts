import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, freePort, runTs, startTs, waitForOutput } from '../helpers/process.ts';

/**
 * The server as a process on an embedded data dir: killed with kill -9, it can be started again
 * at once (the lock of a dead owner is taken over), a second process is told truthfully who
 * holds the data dir, and the request log never shows a credential.
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'assets-gateway-crash-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('after kill -9', () => {
  it('restarts at once on the same data dir, and keeps credentials out of the request log', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' };
    const first = startTs('src/index.ts', [], env);
    const output = await waitForOutput(first, /assets-gateway: GraphQL/);
    const key = /^\s+(agk_\S+)$/m.exec(output)![1];
    let log = '';
    first.stdout!.on('data', (chunk) => (log += chunk));

    const base = `http://127.0.0.1:${port}`;
    await fetch(`${base}/api/v1/assets?api_key=${key}&page=1`);
    await fetch(`${base}/api/v1/assets?token=s3cret-value`, { headers: { authorization: `Bearer ${key}` } });

    const second = await runTs('src/index.ts', [], { DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is already open in another process (pid ${first.pid}`);

    const exit = finished(first);
    first.kill('SIGKILL');
    await exit;
    expect(log).toContain('"route":"/api/v1/assets"');
    expect(log).not.toContain(key.slice(17));
    expect(log).not.toContain('s3cret-value');

    // At once: no waiting for the dead process's lock to go stale.
    const started = Date.now();
    const again = startTs('src/index.ts', [], env);
    try {
      await waitForOutput(again, /assets-gateway: GraphQL/);
      const response = await fetch(`${base}/api/v1/assets`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      console.log(`restart after kill -9 listening in ${Date.now() - started} ms`);
    } finally {
      const exitAgain = finished(again);
      again.kill('SIGTERM');
      expect((await exitAgain).code).toBe(0);
    }
  });
});
