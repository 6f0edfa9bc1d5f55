import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generate } from '@graphql-codegen/cli';
import { Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { getOperationAST, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadPersistedOperations } from '../../src/graphql/persisted-operations.ts';
import { useTestApp } from '../helpers/app.ts';

/**
 * Persisted operations (PERSISTED_OPERATIONS): the manifest is the one graphql-codegen's client
 * preset writes for a frontend's documents (`persistedDocuments: true`), generated here by codegen
 * itself; requests name a document by `documentId` (POST and GET) or as Apollo's and urql's
 * persisted-query clients do, and `require` refuses any other document unless the key has
 * `explore:graphql`.
 */
const dir = mkdtempSync(join(tmpdir(), 'ag-persisted-'));
const manifestFile = join(dir, 'persisted-documents.json');
// The frontend's documents, with __typename where Apollo's cache adds it, as codegen's Apollo setup writes them.
const frontendDocuments = `
  query ListTitles { assets(sort: TITLE, order: ASC) { __typename items { __typename id title } } }
  query AssetTitle($id: ID!) { asset(id: $id) { __typename id title } }
`;
/** Manifest id by operation name. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  await writeFile(join(dir, 'frontend.graphql'), frontendDocuments);
  const [manifest] = await generate(
    {
      schema: 'schema.graphql',
      documents: [join(dir, 'frontend.graphql')],
      silent: true,
      generates: { [`${dir}/client/`]: { preset: 'client', presetConfig: { persistedDocuments: true } } },
    },
    false,
  ).then((files: { filename: string; content: string }[]) => files.filter((file) => file.filename.endsWith('persisted-documents.json')));
  await writeFile(manifestFile, manifest.content);
  for (const [id, document] of Object.entries(JSON.parse(manifest.content) as Record<string, string>)) {
    ids[/query (\w+)/.exec(document)![1]] = id;
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const idOf = (document: DocumentNode) => ids[getOperationAST(document)?.name?.value ?? ''];
const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.map((error) => error.extensions?.code);

describe('PERSISTED_OPERATIONS=require', () => {
  const t = useTestApp({ PERSISTED_OPERATIONS: 'require', PERSISTED_OPERATIONS_FILE: manifestFile });
  let key: string;
  let assetId: string;
  const post = (body: object, as = key) =>
    t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${as}` }, payload: body }).then((r) => r.json());
  const get = (params: Record<string, string>, as = key) =>
    t.app.inject({ method: 'GET', url: `/graphql?${new URLSearchParams(params)}`, headers: { authorization: `Bearer ${as}` } }).then((r) => r.json());

  beforeAll(async () => {
    key = await t.newKey(['read:assets', 'write:assets'], 'persisted');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { authorization: `Bearer ${key}` },
      payload: { title: 'Shipped with the frontend', asset_type: 'pdf' },
    });
    // The REST routes run their own fixed operations: `require` does not concern them.
    expect(created.statusCode).toBe(201);
    assetId = created.json().data.id;
  });

  it('runs the manifest codegen wrote, by documentId on POST and on GET, with variables', async () => {
    expect(Object.keys(ids).sort()).toEqual(['AssetTitle', 'ListTitles']);
    expect(ids.ListTitles).toMatch(/^sha256:[0-9a-f]{64}$/);
    const title = { data: { asset: { __typename: 'PdfAsset', id: assetId, title: 'Shipped with the frontend' } } };
    expect(await post({ documentId: ids.AssetTitle, variables: { id: assetId } })).toEqual(title);
    expect(await get({ documentId: ids.AssetTitle, variables: JSON.stringify({ id: assetId }) })).toEqual(title);
    expect(await post({ documentId: ids.ListTitles })).toEqual({
      data: { assets: { __typename: 'AssetPage', items: [{ __typename: 'PdfAsset', id: assetId, title: 'Shipped with the frontend' }] } },
    });
  });

  it('refuses an unknown id, and any document of the request’s own, on POST and on GET', async () => {
    const unknown = `sha256:${'0'.repeat(64)}`;
    expect(await post({ documentId: unknown })).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    expect(codes(await get({ documentId: unknown }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const own = '{ assets { total } }';
    expect(codes(await post({ query: own }))).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(codes(await get({ query: own }))).toEqual(['PERSISTED_QUERY_ONLY']);
    // An unknown id beside a document of the request's own (Apollo's retry) is still a document of its own.
    expect(codes(await post({ query: own, documentId: unknown }))).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('lets a key with explore:graphql send documents of its own (GraphiQL)', async () => {
    const explorer = await t.newKey(['read:assets', 'explore:graphql'], 'persisted');
    expect(await post({ query: '{ assets { total } }' }, explorer)).toEqual({ data: { assets: { total: 1 } } });
    expect(await get({ query: '{ assets { total } }' }, explorer)).toEqual({ data: { assets: { total: 1 } } });
  });

  describe('with the clients frontends use, against a listening server', () => {
    let endpoint: string;
    /** The bodies and URLs the clients sent. */
    const sent: string[] = [];
    const recordingFetch = (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(`${init?.method ?? 'GET'} ${String(input)} ${typeof init?.body === 'string' ? init.body : ''}`);
      return fetch(input, init);
    };
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      endpoint = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/graphql`;
    });

    it('Apollo Client with its persisted-query link sends hashes only, and gets the data', async () => {
      const link = new PersistedQueryLink({ generateHash: (document) => idOf(document).replace(/^sha256:/, '') }).concat(
        new HttpLink({ uri: endpoint, headers: { authorization: `Bearer ${key}` }, fetch: recordingFetch }),
      );
      const client = new ApolloClient({ link, cache: new InMemoryCache() });
      sent.length = 0;
      const { data } = await client.query({ query: gql(frontendDocuments.split('\n')[2]), variables: { id: assetId } });
      expect(data).toEqual({ asset: { __typename: 'PdfAsset', id: assetId, title: 'Shipped with the frontend' } });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain('"persistedQuery"');
      expect(sent[0]).not.toContain('"query"');
    });

    it('urql with its persisted exchange, enforced, sends hashes only, and gets the data', async () => {
      const client = new Client({
        url: endpoint,
        fetch: recordingFetch,
        fetchOptions: { headers: { authorization: `Bearer ${key}` } },
        exchanges: [persistedExchange({ enforcePersistedQueries: true, generateHash: async (_query, document) => idOf(document) }), fetchExchange],
      });
      sent.length = 0;
      const result = await client.query(urqlGql(frontendDocuments.split('\n')[1]), {}).toPromise();
      expect(result.error).toBeUndefined();
      expect(result.data.assets.items).toEqual([{ __typename: 'PdfAsset', id: assetId, title: 'Shipped with the frontend' }]);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain('persistedQuery');
      expect(sent[0]).not.toMatch(/[?&"]query["=]/);
    });
  });
});

describe('PERSISTED_OPERATIONS=allow', () => {
  const t = useTestApp({ PERSISTED_OPERATIONS: 'allow', PERSISTED_OPERATIONS_FILE: manifestFile });

  it('runs known ids and any document, and a document sent again beside an unknown id (Apollo’s retry)', async () => {
    const key = await t.newKey(['read:assets']);
    const post = (body: object) =>
      t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${key}` }, payload: body }).then((r) => r.json());
    const empty = { data: { assets: { __typename: 'AssetPage', items: [] } } };
    expect(await post({ documentId: ids.ListTitles })).toEqual(empty);
    expect(await post({ query: '{ assets { total } }' })).toEqual({ data: { assets: { total: 0 } } });
    const unknown = '0'.repeat(64);
    expect(codes(await post({ extensions: { persistedQuery: { version: 1, sha256Hash: unknown } } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(await post({ query: '{ assets { total } }', extensions: { persistedQuery: { version: 1, sha256Hash: unknown } } })).toEqual({
      data: { assets: { total: 0 } },
    });
  });
});

describe('the settings', () => {
  it('refuse a mode without a manifest, a manifest without a mode, and a manifest that is not one, by name', async () => {
    expect(() => loadConfig({ PERSISTED_OPERATIONS: 'require' })).toThrow(
      'PERSISTED_OPERATIONS=require needs PERSISTED_OPERATIONS_FILE, the manifest of the operations to serve',
    );
    expect(() => loadConfig({ PERSISTED_OPERATIONS_FILE: manifestFile })).toThrow('PERSISTED_OPERATIONS_FILE is set, but PERSISTED_OPERATIONS is off');
    expect(() => loadConfig({ PERSISTED_OPERATIONS: 'sometimes' })).toThrow('PERSISTED_OPERATIONS must be one of off, allow, require');
    const load = (file: string) => loadPersistedOperations(loadConfig({ PERSISTED_OPERATIONS: 'allow', PERSISTED_OPERATIONS_FILE: file }).persistedOperations);
    expect(() => load(join(dir, 'missing.json'))).toThrow(/^PERSISTED_OPERATIONS_FILE .*missing\.json: no such file$/);
    await writeFile(join(dir, 'list.json'), '["query A { assets { total } }"]');
    expect(() => load(join(dir, 'list.json'))).toThrow('expected an object of id → document');
    await writeFile(join(dir, 'broken.json'), '{"sha256:ab": "query {"}');
    expect(() => load(join(dir, 'broken.json'))).toThrow('the document of sha256:ab does not parse');
  });
});
