import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createApiKey } from '../../src/auth/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { pgliteReserveBytes } from '../../src/db/reserve.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { localDiskStorage } from '../../src/domain/files/storage/local.ts';
import { openTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.ts';
import { multipartBody } from '../helpers/files.ts';
import { finished, freePort, startTs, waitForOutput } from '../helpers/process.ts';
import { rest } from '../helpers/rest.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';
import { fillDisk, mountSmallDisk, type SmallDisk, whyNoSmallDisk } from '../helpers/tmpfs.ts';

/**
 * A full disk is the server's trouble, not the client's: 507 (`INSUFFICIENT_STORAGE`), nothing
 * half-written left, /readyz says so, and a server started on a full disk serves reads. On real
 * full file systems (tmpfs mounts); CI runs as root and must run these.
 */
const why = await whyNoSmallDisk();
const runs = runsOrSaysWhy(why === null || process.env.CI === 'true', 'full-disk tests', why ?? '');

const insufficientStorage = {
  error: 'Insufficient storage',
  message: 'The server has no storage space left for this; nothing was stored. Try again later',
};

/** Every file under `dir`, temporary ones included. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

async function picture(width: number, height: number) {
  // Noise, so that neither the PNG nor its thumbnail compresses to nothing.
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

describe.runIf(runs)('a full uploads disk', () => {
  let database: TestDatabase;
  let disk: SmallDisk;
  let dataDir: string;
  let app: FastifyInstance;
  let key: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'ag-disk-full-'));
    disk = await mountSmallDisk(2 * 1024 * 1024);
    const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, EXTRACT_TIMEOUT_MS: '60000' });
    app = await buildApp({ config, db: database.db, files: createFiles(config, localDiskStorage(disk.dir)) });
    await app.ready();
    key = (await createApiKey(database.db, { name: 'test', scopes: ['read:assets', 'write:assets'], workspace: 'disk-full' })).key;
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await disk?.unmount();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const restUpload = (content: Buffer, filename = 'big.bin') => {
    const { payload, contentType } = multipartBody([{ name: 'file', filename, content }]);
    return rest(app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } });
  };
  const graphqlUpload = async (content: Buffer) => {
    const query = 'mutation($file: File!) { uploadFile(file: $file) { filePath } }';
    const { payload, contentType } = multipartBody([
      { name: 'operations', content: JSON.stringify({ query, variables: { file: null } }) },
      { name: 'map', content: JSON.stringify({ 0: ['variables.file'] }) },
      { name: '0', filename: 'big.bin', content },
    ]);
    const response = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, payload });
    return { status: response.statusCode, ...response.json() };
  };
  const createImage = (filePath: string) => rest(app, key, 'post', '/api/v1/assets', { json: { title: 'Picture', asset_type: 'image', file_path: filePath } });
  const graphqlCreateImage = async (filePath: string) => {
    const query = 'mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }';
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      payload: { query, variables: { input: { title: 'Picture', assetType: 'IMAGE', filePath } } },
    });
    return response.json();
  };

  it('an upload that does not fit answers 507 on both faces and leaves no file and no row', async () => {
    const tooBig = randomBytes(3 * 1024 * 1024);
    const uploadsBefore = await database.db.upload.count();
    expect(await restUpload(tooBig)).toMatchObject({ status: 507, body: insufficientStorage });
    expect(await filesUnder(disk.dir)).toEqual([]);

    const overGraphQL = await graphqlUpload(tooBig);
    expect(overGraphQL).toMatchObject({ errors: [{ message: insufficientStorage.message, extensions: { code: 'INSUFFICIENT_STORAGE' } }] });
    expect(overGraphQL.data).toBeNull();
    expect(await filesUnder(disk.dir)).toEqual([]);
    expect(await database.db.upload.count()).toBe(uploadsBefore);

    // Over a real connection too, where a stream cut by the server could pass for the client's (400 "The upload was interrupted…").
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const form = new FormData();
    form.append('file', new Blob([tooBig]), 'big.bin');
    const overSocket = await fetch(`${address}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    expect({ status: overSocket.status, body: await overSocket.json() }).toEqual({ status: 507, body: insufficientStorage });
    // The rest of that body is never read, and the client is still sending it: closing such a
    // connection is the refusals' business (src/http), not this test's. Hang up.
    app.server.closeAllConnections();
    expect(await filesUnder(disk.dir)).toEqual([]);
    expect(await database.db.upload.count()).toBe(uploadsBefore);

    // The disk was given back whole: a file that fits is stored.
    expect((await restUpload(randomBytes(100_000), 'small.bin')).status).toBe(201);
  });

  it('a create whose thumbnail does not fit answers 507 and creates nothing; /readyz says the storage is full until it is not', async () => {
    const uploaded = await restUpload(await picture(400, 300), 'picture.png');
    expect(uploaded.status).toBe(201);
    const filePath: string = uploaded.body.data.file_path;
    expect(await app.inject({ method: 'GET', url: '/readyz' })).toMatchObject({ statusCode: 200 });
    const stored = await filesUnder(disk.dir);

    await fillDisk(join(disk.dir, 'filler'));
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect({ status: notReady.statusCode, body: notReady.json() }).toEqual({ status: 503, body: { status: 'unavailable', storage: 'full' } });

    const assetsBefore = await database.db.asset.count();
    expect(await createImage(filePath)).toMatchObject({ status: 507, body: insufficientStorage });
    expect(await graphqlCreateImage(filePath)).toMatchObject({
      data: null,
      errors: [{ message: insufficientStorage.message, extensions: { code: 'INSUFFICIENT_STORAGE' } }],
    });
    expect(await database.db.asset.count()).toBe(assetsBefore);
    expect(await database.db.upload.findFirst({ where: { filePath }, select: { assetId: true } })).toEqual({ assetId: null });
    expect((await filesUnder(disk.dir)).sort()).toEqual([...stored, 'filler'].sort());

    await rm(join(disk.dir, 'filler'));
    expect(await app.inject({ method: 'GET', url: '/readyz' })).toMatchObject({ statusCode: 200 });
    expect(await createImage(filePath)).toMatchObject({ status: 201, body: { data: { thumbnail_path: expect.stringMatching(/^\/uploads\/thumbnails\//) } } });
  });
});

describe.runIf(
  runs &&
    runsOrSaysWhy(Boolean(serverUrl), 'a full PostgreSQL tablespace', 'runs on PostgreSQL (TEST_DATABASE_URL); PGlite is filled by the process test below'),
)('a full PostgreSQL disk', () => {
  let database: TestDatabase;
  let disk: SmallDisk;
  let app: FastifyInstance;
  let dataDir: string;
  let admin: pg.Client;
  const tablespace = `ag_full_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'ag-disk-full-pg-'));
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // A tablespace on the small disk, whose folder the server's own user must own: the server runs on this machine.
    const { rows } = await admin.query<{ data_directory: string }>('SHOW data_directory');
    const owner = await stat(rows[0].data_directory);
    disk = await mountSmallDisk(1024 * 1024);
    await chown(disk.dir, owner.uid, owner.gid);
    await admin.query(`CREATE TABLESPACE ${tablespace} LOCATION '${disk.dir}'`);
    await admin.query(`ALTER TABLE assets SET TABLESPACE ${tablespace}`);
    const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, DATABASE_URL: database.url! });
    app = await buildApp({ config, db: database.db });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await admin?.end();
    await database?.close(); // drops the database, and with it everything in the tablespace
    const root = new pg.Client({ connectionString: serverUrl });
    await root.connect();
    await root.query(`DROP TABLESPACE IF EXISTS ${tablespace}`);
    await root.end();
    await disk?.unmount();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a create that cannot extend the table answers 507 on both faces and stores nothing', async () => {
    const key = (await createApiKey(database.db, { name: 'test', scopes: ['read:assets', 'write:assets'], workspace: 'pg-full' })).key;
    await admin.query(`CREATE TABLE filler (junk text) TABLESPACE ${tablespace}`);
    // Rows until PostgreSQL cannot extend the file: SQLSTATE 53100, "could not extend file".
    const filled = await admin.query(`INSERT INTO filler SELECT repeat(md5(g::text), 200) FROM generate_series(1, 100000) g`).then(
      () => 'not full',
      (error: { code?: string }) => error.code,
    );
    expect(filled).toBe('53100');

    expect(await rest(app, key, 'post', '/api/v1/assets', { json: { title: 'Will not fit', asset_type: 'pdf' } })).toMatchObject({
      status: 507,
      body: insufficientStorage,
    });
    const overGraphQL = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      payload: { query: 'mutation { createAsset(input: {title: "Will not fit", assetType: PDF}) { id } }' },
    });
    expect(overGraphQL.json()).toMatchObject({ errors: [{ extensions: { code: 'INSUFFICIENT_STORAGE' } }] });
    expect(await database.db.asset.count()).toBe(0);
    // Reads still work.
    expect(await rest(app, key, 'get', '/api/v1/assets')).toMatchObject({ status: 200, body: { pagination: { total: 0 } } });
  });

  it('a download on a full disk is served; only its count is lost', async () => {
    const key = (await createApiKey(database.db, { name: 'test', scopes: ['read:assets', 'write:assets'], workspace: 'pg-full-download' })).key;
    await admin.query('DROP TABLE IF EXISTS filler');
    const { payload, contentType } = multipartBody([{ name: 'file', filename: 'words.txt', content: 'a few words' }]);
    const uploaded = await rest(app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } });
    // A row too large to be updated in the room a page full of small rows leaves.
    const description = randomBytes(700).toString('hex');
    const created = await rest(app, key, 'post', '/api/v1/assets', {
      json: { title: 'Words', asset_type: 'document', file_path: uploaded.body.data.file_path, description },
    });
    expect(created.status).toBe(201);
    // Storing its text rewrote the row (its search vector): the old version's room is reclaimed now, and filled below.
    await admin.query('VACUUM assets');
    await admin.query(`CREATE TABLE filler (junk text) TABLESPACE ${tablespace}`);
    await admin.query(`INSERT INTO filler SELECT repeat(md5(g::text), 200) FROM generate_series(1, 100000) g`).catch(() => {});
    let status = 201;
    for (let i = 0; i < 1000 && status === 201; i++)
      status = (await rest(app, key, 'post', '/api/v1/assets', { json: { title: `f${i}`, asset_type: 'pdf' } })).status;
    expect(status).toBe(507);

    const download = await app.inject({ method: 'GET', url: `/api/v1/assets/${created.body.data.id}/download`, headers: { authorization: `Bearer ${key}` } });
    expect({ status: download.statusCode, body: download.body }).toEqual({ status: 200, body: 'a few words' });
    expect(await database.db.asset.findUnique({ where: { id: created.body.data.id }, select: { downloadCount: true } })).toEqual({ downloadCount: 0 });
  });
});

describe.runIf(runs && runsOrSaysWhy(!serverUrl, 'a server started on a full disk', 'the embedded database is filled in the run without TEST_DATABASE_URL'))(
  'a server process on a full disk',
  () => {
    it('starts on a full disk with one warning, serves reads, answers 507 to writes, and explains when it cannot start', { timeout: 300_000 }, async () => {
      // Room for a fresh embedded database (~40 MB) and its reserve.
      const disk = await mountSmallDisk(100 * 1024 * 1024);
      try {
        const dataDir = join(disk.dir, 'data');
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const env = { DATA_DIR: dataDir, PORT: String(port) };
        const first = startTs('src/index.ts', [], env);
        const output = await waitForOutput(first, /assets-gateway: GraphQL/);
        const key = /^\s+(agk_\S+)$/m.exec(output)![1];
        const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        expect((await stat(join(dataDir, 'pglite.reserve'))).size).toBe(pgliteReserveBytes);
        const created = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: auth, body: JSON.stringify({ title: 'Kept', asset_type: 'pdf' }) });
        expect(created.status).toBe(201);
        const stopped = finished(first);
        first.kill('SIGTERM');
        expect((await stopped).code).toBe(0);

        await fillDisk(join(disk.dir, 'filler'));
        const second = startTs('src/index.ts', [], env);
        let printed = '';
        second.stdout!.on('data', (chunk) => (printed += chunk));
        second.stderr!.on('data', (chunk) => (printed += chunk));
        await waitForOutput(second, /assets-gateway: GraphQL/);
        const warnings = printed.split('\n').filter((line) => /warn/i.test(line));
        expect(warnings).toEqual([
          `warning: the disk of ${dataDir} is full (the embedded database gave up its reserve file to start): reads are served, but uploads and changes answer 507 Insufficient storage until space is freed; GET /readyz says when`,
        ]);
        const list = await fetch(`${base}/api/v1/assets`, { headers: auth });
        expect({ status: list.status, total: (await list.json()).pagination.total }).toEqual({ status: 200, total: 1 });

        // The reserve's room taken too: writes answer 507 (never 500), reads still work.
        await fillDisk(join(disk.dir, 'filler-2'));
        const ready = await fetch(`${base}/readyz`);
        expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'unavailable', database: 'full', storage: 'full' } });
        const statuses: number[] = [];
        while (statuses.length < 200 && statuses.at(-1) !== 507) {
          const response = await fetch(`${base}/api/v1/assets`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ title: `Filler ${statuses.length}`, asset_type: 'pdf', description: randomBytes(2500).toString('hex') }),
          });
          statuses.push(response.status);
        }
        expect(new Set(statuses)).toEqual(new Set(statuses.length > 1 ? [201, 507] : [507]));
        const stillReads = await fetch(`${base}/api/v1/assets?per_page=1`, { headers: auth });
        expect(stillReads.status).toBe(200);
        await expect.poll(() => printed).toMatch(/"level":50.*"errorName":"InsufficientStorageError","errorCode":"53100"/);
        const stoppedAgain = finished(second);
        second.kill('SIGTERM');
        expect((await stoppedAgain).code).toBe(0);

        // No reserve left and no byte free (the stop may have freed a few): the start fails, and says why.
        await fillDisk(join(disk.dir, 'filler-3'));
        const thirdProcess = startTs('src/index.ts', [], env);
        const listening = waitForOutput(thirdProcess, /assets-gateway: GraphQL/).then(() => thirdProcess.kill('SIGTERM'));
        const third = await finished(thirdProcess);
        await listening.catch(() => {});
        expect(third.code).toBe(1);
        expect(third.stderr).toContain(`error: The embedded database in ${join(dataDir, 'pglite')} cannot start: its disk is full`);
      } finally {
        await disk.unmount();
      }
    });
  },
);
