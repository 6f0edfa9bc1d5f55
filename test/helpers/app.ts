import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  /** The app's DATA_DIR, a temporary folder of its own (uploads land in DATA_DIR/uploads). */
  dataDir: string;
  /** A key in a workspace of its own, so each test sees only its own assets. */
  newKey(scopes?: Scope[], workspace?: string): Promise<string>;
}

/** One app and database for the test file, closed after it; `env` adds settings (e.g. rate limits). */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  const testApp = {} as TestApp;
  beforeAll(async () => {
    const database = await openTestDatabase();
    testApp.dataDir = await mkdtemp(join(tmpdir(), 'ag-test-'));
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: testApp.dataDir, ...env }), db: database.db });
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
