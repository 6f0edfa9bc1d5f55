import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { openTestDatabase, serverUrl } from '../helpers/database.ts';
import { makePdf, multipartBody } from '../helpers/files.ts';
import { finished, freePort, startTs, waitForOutput } from '../helpers/process.ts';
import { rest } from '../helpers/rest.ts';
import { graphql as gql } from '../../src/generated/graphql/index.ts';

/**
 * Idempotent creates: the same Idempotency-Key (REST) or idempotencyKey (GraphQL) with the same
 * input answers the asset the first request created; never a second asset, not even after kill -9.
 */
// Extraction gets a generous deadline here: one test needs a create that takes a while, even on a busy machine.
const t = useTestApp({ EXTRACT_TIMEOUT_MS: '60000' });
const post = (key: string, idempotencyKey: string | undefined, json: unknown) =>
  rest(t.app, key, 'post', '/api/v1/assets', { json, headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey } });
const total = async (key: string) => (await rest(t.app, key, 'get', '/api/v1/assets')).body.pagination.total;

const CreateOnce = gql(`
  mutation CreateOnce($input: CreateAssetInput!, $idempotencyKey: String) {
    createAsset(input: $input, idempotencyKey: $idempotencyKey) { id title }
  }
`);

describe('Idempotency-Key', () => {
  it('replays the first create for the same key and body, on both faces, and refuses another body', async () => {
    const key = await t.newKey();
    const body = { title: 'Quarterly report', asset_type: 'pdf', description: 'Q3' };
    const first = await post(key, 'create-1', body);
    expect(first.status).toBe(201);
    // The same body (key order and an ignored read-only field aside): the same asset, 201 again.
    const again = await post(key, 'create-1', { description: 'Q3', slug: 'ignored', asset_type: 'pdf', title: 'Quarterly report' });
    expect(again.status).toBe(201);
    expect(again.body.data).toEqual(first.body.data);
    // GraphQL with the same key and input is the same request.
    const viaGraphql = expectData(
      await graphql(t.app, key, CreateOnce, { input: { title: 'Quarterly report', assetType: 'PDF', description: 'Q3' }, idempotencyKey: 'create-1' }),
    );
    expect(viaGraphql.createAsset.id).toBe(first.body.data.id);
    expect(await total(key)).toBe(1);

    const other = await post(key, 'create-1', { ...body, title: 'Another report' });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ error: 'Validation failed', message: 'Idempotency key was already used with a different request', field: 'Idempotency-Key' });
    // Without a key, or with another key, creates are creates.
    expect((await post(key, undefined, body)).body.data.id).not.toBe(first.body.data.id);
    expect((await post(key, 'create-2', body)).body.data.id).not.toBe(first.body.data.id);
    expect(await total(key)).toBe(3);
    // Keys are per workspace: another workspace's create-1 is its own.
    const elsewhere = await post(await t.newKey(), 'create-1', body);
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.data.id).not.toBe(first.body.data.id);
  });

  it('replays the first create of a library in the same way', async () => {
    const key = await t.newKey(['read:libraries', 'write:libraries']);
    const create = (json: unknown) => rest(t.app, key, 'post', '/api/v1/libraries', { json, headers: { 'idempotency-key': 'library-1' } });
    const first = await create({ name: 'Brand kit' });
    expect(first.status).toBe(201);
    expect((await create({ name: 'Brand kit' })).body.data).toEqual(first.body.data);
    expect((await create({ name: 'Other kit' })).body).toMatchObject({ error: 'Validation failed', field: 'Idempotency-Key' });
    expect((await rest(t.app, key, 'get', '/api/v1/libraries')).body.pagination.total).toBe(1);
  });

  it('refuses a malformed key on both faces, naming it, and creates nothing', async () => {
    const key = await t.newKey();
    for (const bad of ['', 'a b', 'x'.repeat(256), 'clé']) {
      const refused = await post(key, bad, { title: 'T', asset_type: 'pdf' });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body).toMatchObject({ field: 'Idempotency-Key', message: 'Idempotency key must be 1 to 255 visible ASCII characters' });
    }
    const viaGraphql = await graphql(t.app, key, CreateOnce, { input: { title: 'T', assetType: 'PDF' }, idempotencyKey: 'a b' });
    expect(viaGraphql.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    expect(await total(key)).toBe(0);
  });

  it('answers 409 to a retry while the first is in flight, and never creates twice', async () => {
    const key = await t.newKey();
    // A create that takes a while: a 30-page PDF is read (pages, words, a thumbnail) before the asset exists.
    const pdf = await makePdf(Array.from({ length: 30 }, (_, page) => Array.from({ length: 30 }, (_, line) => `Page ${page} line ${line} of a long report`)));
    const { payload, contentType } = multipartBody([{ name: 'file', filename: 'long.pdf', content: pdf }]);
    const uploaded = await rest(t.app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } });
    const body = { title: 'Long report', asset_type: 'pdf', file_path: uploaded.body.data.file_path };
    let settled = false;
    const first = post(key, 'slow', body).finally(() => (settled = true));
    const retries = [];
    while (!settled) {
      retries.push(await post(key, 'slow', body));
      await setTimeout(20);
    }
    const created = await first;
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(retries.map((retry) => retry.status)).toContain(409);
    for (const retry of retries) {
      if (retry.status === 201) expect(retry.body.data.id).toBe(created.body.data.id);
      else
        expect(retry.body).toEqual({
          error: 'Conflict',
          message: 'A request with this idempotency key is still in progress; retry once it has finished',
        });
    }
    expect((await post(key, 'slow', body)).body.data.id).toBe(created.body.data.id);
    expect(await total(key)).toBe(1);
    console.log(`${retries.filter((retry) => retry.status === 409).length} retries answered 409 while the first create ran`);
  });

  it('answers 409 once the asset it created has been deleted, and the same asset once restored', async () => {
    const key = await t.newKey();
    const body = { title: 'Soon gone', asset_type: 'pdf' };
    const { id } = (await post(key, 'gone', body)).body.data;
    expect((await rest(t.app, key, 'delete', `/api/v1/assets/${id}`)).status).toBe(200);
    const replay = await post(key, 'gone', body);
    expect(replay.status).toBe(409);
    expect(replay.body.message).toBe('The asset created with this idempotency key has been deleted since');
    expect((await rest(t.app, key, 'post', `/api/v1/assets/${id}/restore`)).status).toBe(200);
    expect((await post(key, 'gone', body)).body.data.id).toBe(id);
  });
});

describe('creates with idempotency keys under kill -9', () => {
  it('leave every acknowledged create exactly once, and a retry never duplicates', { timeout: 300_000 }, async () => {
    // The server's own database: a data dir of its own, or a new database on TEST_DATABASE_URL's server.
    const database = serverUrl ? await openTestDatabase() : null;
    const dataDir = await mkdtemp(join(tmpdir(), 'assets-gateway-idem-'));
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), RATE_LIMIT_PER_MINUTE: '0', ...(database ? { DATABASE_URL: database.url } : {}) };
    const base = `http://127.0.0.1:${port}`;
    const start = () => startTs('src/index.ts', [], env);
    try {
      const first = start();
      const key = /^\s+(agk_\S+)$/m.exec(await waitForOutput(first, /assets-gateway: GraphQL/))![1];
      const creates = Array.from({ length: 60 }, (_, i) => ({ idempotencyKey: `crash-${i}-${randomUUID()}`, title: `Crash ${i}` }));
      const send = (create: (typeof creates)[number]) =>
        fetch(`${base}/api/v1/assets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': create.idempotencyKey },
          body: JSON.stringify({ title: create.title, asset_type: 'pdf' }),
        });

      // 8 clients send the creates one after another; the server is killed after the 20th answer.
      const acknowledged = new Map<string, string>();
      let next = 0;
      const exit = finished(first);
      const clients = Array.from({ length: 8 }, async () => {
        while (next < creates.length) {
          const create = creates[next++];
          try {
            const response = await send(create);
            if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
            acknowledged.set(create.idempotencyKey, (await response.json()).data.id);
            if (acknowledged.size === 20) first.kill('SIGKILL');
          } catch (error) {
            if (!first.killed) throw error; // a refused or cut connection is expected only after the kill
          }
        }
      });
      await Promise.all(clients);
      await exit;
      expect(acknowledged.size).toBeGreaterThanOrEqual(20);

      // At once, on the same database: every create is sent again with its key.
      const again = start();
      try {
        await waitForOutput(again, /assets-gateway: GraphQL/);
        const listAll = async () => (await fetch(`${base}/api/v1/assets?per_page=100`, { headers: { authorization: `Bearer ${key}` } })).json();
        const committed = (await listAll()).pagination.total;
        expect(committed).toBeGreaterThanOrEqual(acknowledged.size);
        for (const create of creates) {
          const response = await send(create);
          expect(response.status).toBe(201);
          const { id } = (await response.json()).data;
          if (acknowledged.has(create.idempotencyKey)) expect(id).toBe(acknowledged.get(create.idempotencyKey));
        }
        const listed = await listAll();
        expect(listed.pagination.total).toBe(creates.length);
        expect(new Set(listed.data.map((asset: { title: string }) => asset.title)).size).toBe(creates.length);
        console.log(
          `kill -9: ${acknowledged.size} of ${creates.length} creates acknowledged, ${committed} committed; ` +
            `every create sent again with its key: ${listed.pagination.total} assets, none twice`,
        );
      } finally {
        const exitAgain = finished(again);
        again.kill('SIGTERM');
        expect((await exitAgain).code).toBe(0);
      }
    } finally {
      await database?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
