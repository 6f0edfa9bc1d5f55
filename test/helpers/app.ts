import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FastifyInstance } from 'fastify';
import { print, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createApiKey } from '../../src/auth/keys.ts';
import type { Scope } from '../../src/auth/scopes.ts';
import { loadConfig } from '../../src/config.ts';
import { openTestDatabase, type TestDatabase } from './database.ts';
import { S3Emulator } from './s3.ts';

/** Where a test app stores files: local disk (DATA_DIR/uploads), or a bucket of an S3 emulator (./s3.ts). */
export type Store = 'disk' | 's3';
/** Every store the file tests run on: `describe.each(stores)`. */
export const stores: Store[] = ['disk', 's3'];

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  /** The app's DATA_DIR, a temporary folder of its own (uploads land in DATA_DIR/uploads on disk). */
  dataDir: string;
  store: Store;
  /** The settings the app was built with (STORAGE_URL … included). */
  env: Record<string, string>;
  /** On S3: the emulator, started for this app and stopped after it. */
  s3: S3Emulator | null;
  /**
   * Every file the store holds, by key (`files/…`, `thumbnails/…`), what an unfinished put left
   * included: a temporary file on disk (`.tmp/…`), an unfinished multipart upload on S3
   * (`unfinished upload files/…`).
   */
  storedFiles(): Promise<string[]>;
  /** A key in a workspace of its own, so each test sees only its own assets. */
  newKey(scopes?: Scope[], workspace?: string): Promise<string>;
}

/**
 * One app and database for the test file (or the describe block it is called in), closed after
 * it; `env` adds settings (e.g. rate limits). On `s3`, an emulator is started for it first.
 */
export function useTestApp(env: Record<string, string> = {}, store: Store = 'disk'): TestApp {
  const testApp = { store, s3: null } as TestApp;
  beforeAll(async () => {
    const database = await openTestDatabase();
    testApp.dataDir = await mkdtemp(join(tmpdir(), 'ag-test-'));
    testApp.s3 = store === 's3' ? await S3Emulator.start() : null;
    testApp.env = { LOG_LEVEL: 'silent', DATA_DIR: testApp.dataDir, ...testApp.s3?.env(), ...env };
    const config = loadConfig(testApp.env);
    testApp.storedFiles = async () => {
      if (config.storage.kind === 'disk') {
        const root = config.storage.root;
        const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
        return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
      }
      const { prefix } = config.storage;
      const unfinished = await testApp.s3!.unfinishedUploads(prefix);
      return [...(await testApp.s3!.objectKeys(prefix)), ...unfinished.map((key) => `unfinished upload ${key}`)];
    };
    const app = await buildApp({ config, db: database.db });
    await app.ready();
    testApp.app = app;
    testApp.database = database;
    testApp.newKey = async (scopes = ['read:assets', 'write:assets'], workspace) => {
      const slug = workspace ?? `ws-${randomBytes(5).toString('hex')}`;
      return (await createApiKey(database.db, { name: 'test', scopes, workspace: slug })).key;
    };
  });
  afterAll(async () => {
    await testApp.app?.close();
    await testApp.database?.close();
    await testApp.s3?.dispose();
    if (testApp.dataDir) await rm(testApp.dataDir, { recursive: true, force: true });
  });
  return testApp;
}

export interface GraphQLResponse<T> extends ExecutionResult<T> {
  status: number;
}

/** POST /graphql through the real handler. */
export async function graphql<T, V>(app: FastifyInstance, key: string | null, document: TypedDocumentNode<T, V>, variables?: V): Promise<GraphQLResponse<T>> {
  if (!(document as { kind?: string })?.kind) throw new Error('Unknown document: run `npm run codegen` (npm test does it first)');
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    payload: { query: print(document), variables },
  });
  return { status: response.statusCode, ...(response.json() as ExecutionResult<T>) };
}

/** The data of a response that must have no errors; prints the errors when it has. */
export function expectData<T>(response: GraphQLResponse<T>, context = ''): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`Expected no GraphQL errors${context ? ` (${context})` : ''}, got: ${JSON.stringify(response.errors, null, 2)}`);
  }
  return response.data;
}
