import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../src/auth/scopes.ts';
import { freePort, runTs, startTs, waitForOutput, finished } from '../helpers/process.ts';

/**
 * The commands a newcomer types, as separate processes on a fresh embedded data dir:
 * the keys CLI before the server ever started, the first start, a second process on
 * the same data dir, SIGTERM.
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'assets-gateway-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const keyLine = /^agk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;

describe('keys CLI', () => {
  it('--help lists every command and every scope; no command, or an unknown one, prints the same and fails', async () => {
    const help = await runTs('src/cli/keys.ts', ['--help'], {});
    expect(help.code, help.stderr).toBe(0);
    for (const command of ['create --name', 'list', 'revoke <prefix>']) expect(help.stdout).toContain(`npm run keys -- ${command}`);
    expect(help.stdout).toContain(`scopes: ${allScopes.join(', ')}`);

    for (const args of [[], ['frob'], ['--frob']]) {
      const refused = await runTs('src/cli/keys.ts', args, {});
      expect(refused.code, `npm run keys -- ${args.join(' ')}`).toBe(1);
      expect(refused.stderr).toContain(help.stdout.trim());
      expect(refused.stderr).not.toMatch(/^\s+at /m);
    }
    expect((await runTs('src/cli/keys.ts', ['frob'], {})).stderr).toMatch(/^error: unknown command "frob"$/m);
  });

  // Each CLI run starts a process that opens PGlite and loads the schema engine (~7 s here).
  it('creates, lists and revokes keys on a data dir the server never opened', { timeout: 300_000 }, async () => {
    const env = { DATA_DIR: dataDir };
    const created = await runTs('src/cli/keys.ts', ['create', '--name', 'ci reader', '--scopes', 'read:assets', '--workspace', 'acme'], env);
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(keyLine);
    const prefix = key.slice(0, 16);

    const listed = await runTs('src/cli/keys.ts', ['list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${prefix}\\s+ci reader\\s+acme\\s+read:assets\\s+\\S+\\s+-\\s+active`));
    expect(listed.stdout).not.toContain(key.slice(17));

    const revoked = await runTs('src/cli/keys.ts', ['revoke', prefix], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await runTs('src/cli/keys.ts', ['list'], env)).stdout).toMatch(new RegExp(`${prefix}.*revoked`));

    const bad = await runTs('src/cli/keys.ts', ['create', '--name', 'x', '--scopes', 'read:everything'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Unknown scope read:everything');
    const missing = await runTs('src/cli/keys.ts', ['revoke', 'agk_nosuchprefix'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no key with prefix agk_nosuchprefix');
  });
});

describe('server process', () => {
  it('prints a first key only when there is none, guards its data dir, and stops cleanly on SIGTERM', { timeout: 300_000 }, async () => {
    const freshDir = await mkdtemp(join(tmpdir(), 'assets-gateway-first-'));
    try {
      const port = await freePort();
      const env = { DATA_DIR: freshDir, PORT: String(port) };
      const server = startTs('src/index.ts', [], env);
      const output = await waitForOutput(server, /assets-gateway: GraphQL/);
      const key = /^\s+(agk_\S+)$/m.exec(output)?.[1];
      expect(key, output).toMatch(keyLine);
      expect(output).toContain(`curl -H "Authorization: Bearer ${key}" http://127.0.0.1:${port}/api/v1/assets`);

      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const created = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: 'mutation { createAsset(input: {title: "Kept", assetType: PDF}) { slug } }' }),
      });
      expect(await created.json()).toEqual({ data: { createAsset: { slug: 'kept' } } });

      const second = await runTs('src/index.ts', [], { DATA_DIR: freshDir, PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('is already open in another process');

      const exit = finished(server);
      server.kill('SIGTERM');
      expect((await exit).code).toBe(0);

      // At the default log level: one line per request, with the route and the key's public prefix only.
      const again = startTs('src/index.ts', [], { ...env, LOG_LEVEL: 'info' });
      let logged = '';
      again.stdout!.on('data', (chunk) => (logged += chunk));
      const secondOutput = await waitForOutput(again, /assets-gateway: GraphQL/);
      expect(secondOutput).not.toContain('Created a first API key');
      const list = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ assets { total items { slug } } }' }),
      });
      expect(await list.json()).toEqual({ data: { assets: { total: 1, items: [{ slug: 'kept' }] } } });
      expect((await fetch(`${base}/api/v1/assets?api_key=sekrit-in-the-url`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      await expect.poll(() => logged.split('\n').filter((line) => line.includes('"msg":"request"')).length).toBe(2);
      const lines = logged
        .split('\n')
        .filter((line) => line.includes('"msg":"request"'))
        .map((line) => JSON.parse(line));
      expect(lines.map(({ method, route, status, key: prefix }) => ({ method, route, status, prefix }))).toEqual([
        { method: 'POST', route: '/graphql', status: 200, prefix: key!.slice(0, 16) },
        { method: 'GET', route: '/api/v1/assets', status: 200, prefix: key!.slice(0, 16) },
      ]);
      expect(logged).not.toContain('sekrit');
      expect(logged).not.toContain(key!.slice(17));
      const exitAgain = finished(again);
      again.kill('SIGTERM');
      expect((await exitAgain).code).toBe(0);
    } finally {
      await rm(freshDir, { recursive: true, force: true });
    }
  });
});

describe('server process on a port that is taken', () => {
  it('fails before it creates or prints a first key', { timeout: 300_000 }, async () => {
    const freshDir = await mkdtemp(join(tmpdir(), 'assets-gateway-taken-'));
    const blocker = createServer();
    try {
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      const start = await runTs('src/index.ts', [], { DATA_DIR: freshDir, PORT: String(port) });
      expect(start.code).toBe(1);
      expect(start.stderr).toContain('EADDRINUSE');
      expect(start.stdout).not.toContain('agk_');
      const listed = await runTs('src/cli/keys.ts', ['list'], { DATA_DIR: freshDir });
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain('first key');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await rm(freshDir, { recursive: true, force: true });
    }
  });
});

describe('server process with a bad setting', () => {
  it('says which variable in one line and exits before it creates anything', { timeout: 120_000 }, async () => {
    const parent = await mkdtemp(join(tmpdir(), 'assets-gateway-config-'));
    try {
      const cases: [Record<string, string>, string][] = [
        [{ PORT: '99999' }, 'error: PORT must be an integer from 1 to 65535, got "99999"'],
        [{ PORT: '' }, 'error: PORT is set but empty: give it a value, or unset it for the default'],
        [{ LOG_LEVEL: 'verbose' }, 'error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
        [
          { DATABASE_URL: 'postgres//nohost' },
          'error: DATABASE_URL must be a postgres:// or postgresql:// URL (its value is not shown: it may hold a password)',
        ],
      ];
      for (const [env, line] of cases) {
        const run = await runTs('src/index.ts', [], { DATA_DIR: join(parent, 'data'), ...env });
        expect({ env, code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({ env, code: 1, stderr: `${line}\n`, stdout: '' });
        expect(await readdir(parent)).toEqual([]);
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
