import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../helpers/app.ts';

/**
 * The real clients frontends use, set up as docs/clients.md says, against the real server on a
 * free port: Apollo Client 4 (InMemoryCache with the served possibleTypes) and urql with
 * Graphcache (given the schema). Each lists assets, reads one from its cache alone, creates one and sees it, and
 * pages the Relay connection.
 */
const t = useTestApp();
let endpoint: string;
let key: string;
let possibleTypes: Record<string, string[]>;
/** The schema by introspection, with a key, as GraphQL Code Generator reads it for Graphcache. */
let introspection: IntrospectionQuery;
/** GraphQL requests that reached the server, by operation name. */
const requests: string[] = [];

beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  endpoint = `${base}/graphql`;
  key = await t.newKey(['read:assets', 'write:assets']);
  possibleTypes = await (await fetch(`${base}/graphql/possible-types.json`)).json();
  const introspected = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  introspection = ((await introspected.json()) as { data: IntrospectionQuery }).data;
  const seeds = [
    { title: 'A report', assetType: 'PDF' },
    { title: 'A link', assetType: 'LINK', externalUrl: 'https://example.com/docs' },
    { title: 'A repository', assetType: 'GIT', externalUrl: 'https://example.com/repo.git' },
    { title: 'A video', assetType: 'EXTERNAL_VIDEO', externalUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' },
  ];
  for (const input of seeds) {
    const response = await countedFetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: 'mutation Seed($input: CreateAssetInput!) { createAsset(input: $input) { id } }', variables: { input } }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  }
});

function countedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { operationName?: string }) : {};
  requests.push(body.operationName ?? '?');
  return fetch(input, init);
}

function requestsDuring(run: () => Promise<void>): Promise<string[]> {
  const before = requests.length;
  return run().then(() => requests.slice(before));
}

describe('the served possibleTypes', () => {
  it('list every interface with its object types', () => {
    expect(possibleTypes.Node).toContain('Library');
    expect(possibleTypes.Node).toContain('PdfAsset');
    expect(possibleTypes.Asset).toEqual(possibleTypes.Asset.slice().sort());
    expect(possibleTypes.Asset).toEqual(
      expect.arrayContaining([
        'AudioAsset',
        'CollectionAsset',
        'DocumentAsset',
        'ExternalVideoAsset',
        'GitAsset',
        'ImageAsset',
        'LinkAsset',
        'PdfAsset',
        'VideoAsset',
      ]),
    );
    expect(possibleTypes.FileAsset).toEqual(['AudioAsset', 'DocumentAsset', 'ImageAsset', 'PdfAsset', 'VideoAsset']);
  });
});

const AssetFields = `
  fragment AssetFields on Asset {
    __typename id title assetType createdAt
    ... on FileAsset { filePath fileSize }
    ... on PdfAsset { pageCount }
    ... on LinkAsset { externalUrl }
    ... on GitAsset { externalUrl }
    ... on ExternalVideoAsset { externalUrl videoEmbed }
  }
`;
const ListAssets = `query ListAssets { assets(perPage: 50, sort: TITLE, order: ASC) { total items { ...AssetFields } } } ${AssetFields}`;
const GetAsset = `query GetAsset($id: ID!) { asset(id: $id) { ...AssetFields } } ${AssetFields}`;
const GetNode = `query GetNode($id: ID!) { node(id: $id) { id ... on Asset { title } } }`;
const CreateAsset = `mutation CreateAsset($input: CreateAssetInput!) { createAsset(input: $input) { ...AssetFields } } ${AssetFields}`;
const PageAssets = `
  query PageAssets($first: Int!, $after: String) {
    assetsConnection(first: $first, after: $after, sort: TITLE, order: ASC) {
      edges { cursor node { ...AssetFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${AssetFields}
`;

interface Asset {
  __typename: string;
  id: string;
  title: string;
  externalUrl?: string;
  videoEmbed?: string;
}

describe('Apollo Client 4 (InMemoryCache, possibleTypes from the server, the guide’s type policies)', () => {
  // As docs/clients.md sets it up.
  function apollo() {
    return new ApolloClient({
      link: new HttpLink({ uri: endpoint, headers: { authorization: `Bearer ${key}` }, fetch: countedFetch }),
      cache: new InMemoryCache({
        possibleTypes,
        // Ids are UUIDs, unique across every type: the id alone is the cache key.
        dataIdFromObject: (object) => (typeof object.id === 'string' ? object.id : undefined),
        typePolicies: {
          Query: {
            fields: {
              asset: { read: (_, { args, toReference }) => toReference(args!.id as string) },
              node: { read: (_, { args, toReference }) => toReference(args!.id as string) },
              assetsConnection: relayStylePagination(['filter', 'sort', 'order']),
            },
          },
        },
      }),
    });
  }

  it('lists assets with the fields of their concrete types, then reads one from the cache alone', async () => {
    const client = apollo();
    const list = await client.query<{ assets: { total: number; items: Asset[] } }>({ query: gql(ListAssets) });
    const link = list.data!.assets.items.find((asset) => asset.title === 'A link')!;
    expect(link).toMatchObject({ __typename: 'LinkAsset', externalUrl: 'https://example.com/docs' });

    const seen = await requestsDuring(async () => {
      const one = await client.query<{ asset: Asset }>({ query: gql(GetAsset), variables: { id: link.id }, fetchPolicy: 'cache-only' });
      expect(one.data!.asset).toMatchObject({ id: link.id, __typename: 'LinkAsset', title: 'A link', externalUrl: 'https://example.com/docs' });
      const video = list.data!.assets.items.find((asset) => asset.title === 'A video')!;
      const node = await client.query<{ node: Asset }>({ query: gql(GetNode), variables: { id: video.id }, fetchPolicy: 'cache-only' });
      expect(node.data!.node).toMatchObject({ id: video.id, title: 'A video' });
    });
    expect(seen).toEqual([]);
  });

  it('creates an asset and sees it, in the cache and in the list', async () => {
    const client = apollo();
    await client.query({ query: gql(ListAssets) });
    const created = await client.mutate<{ createAsset: Asset }>({
      mutation: gql(CreateAsset),
      variables: { input: { title: 'Apollo made this', assetType: 'LINK', externalUrl: 'https://example.com/apollo' } },
    });
    const id = created.data!.createAsset.id;
    const cached = await client.query<{ asset: Asset }>({ query: gql(GetAsset), variables: { id }, fetchPolicy: 'cache-only' });
    expect(cached.data!.asset).toMatchObject({ title: 'Apollo made this', externalUrl: 'https://example.com/apollo' });
    const list = await client.query<{ assets: { total: number; items: Asset[] } }>({ query: gql(ListAssets), fetchPolicy: 'network-only' });
    expect(list.data!.assets.items.map((asset) => asset.title)).toContain('Apollo made this');
  });

  it('pages the connection with fetchMore and relayStylePagination', async () => {
    const client = apollo();
    const { data: all } = await client.query<{ assets: { total: number } }>({ query: gql(ListAssets), fetchPolicy: 'network-only' });
    type Page = { assetsConnection: { edges: { node: Asset }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const watched = client.watchQuery<Page>({ query: gql(PageAssets), variables: { first: 2 } });
    let latest: Page | undefined;
    const subscription = watched.subscribe((next) => {
      if (next.dataState === 'complete') latest = next.data as Page;
    });
    try {
      await vi.waitFor(() => expect(latest?.assetsConnection.edges).toHaveLength(2), { timeout: 15_000 });
      let pages = 1;
      while (latest!.assetsConnection.pageInfo.hasNextPage) {
        const seen = latest!.assetsConnection.edges.length;
        await watched.fetchMore({ variables: { after: latest!.assetsConnection.pageInfo.endCursor } });
        // The field policy merges the page into the one list the watched query shows.
        await vi.waitFor(() => expect(latest!.assetsConnection.edges.length).toBeGreaterThan(seen), { timeout: 15_000 });
        pages++;
      }
      const titles = latest!.assetsConnection.edges.map((edge) => edge.node.title);
      expect(pages).toBe(Math.ceil(all!.assets.total / 2));
      expect(titles).toHaveLength(all!.assets.total);
      expect(titles).toEqual(titles.slice().sort());
      expect(new Set(titles).size).toBe(titles.length);
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('urql with graphcache (the schema by introspection, global ids, relayPagination)', () => {
  // Graphcache warns on the console where the cache cannot tell a missing field from one a type lacks.
  const warnings: unknown[][] = [];
  beforeAll(() => {
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
  });
  afterAll(() => {
    vi.mocked(console.warn).mockRestore();
    expect(warnings).toEqual([]);
  });

  function urql() {
    return new Client({
      url: endpoint,
      fetch: countedFetch,
      fetchOptions: { headers: { authorization: `Bearer ${key}` } },
      exchanges: [
        cacheExchange({
          // Without the schema, Graphcache guesses which fragments apply and warns "Invalid undefined" for each field a type lacks.
          schema: introspection,
          // Ids are UUIDs, unique across every type: the id alone is the key.
          globalIDs: true,
          keys: { AssetPage: () => null, QueryAssetsConnection: () => null, QueryAssetsConnectionEdge: () => null, PageInfo: () => null },
          resolvers: {
            Query: {
              asset: (_parent, args) => args.id as string,
              node: (_parent, args) => args.id as string,
              assetsConnection: relayPagination(),
            },
          },
        }),
        fetchExchange,
      ],
    });
  }

  it('lists assets, reads one from the cache alone, creates one and sees it', async () => {
    const client = urql();
    const list = await client.query(urqlGql(ListAssets), {}).toPromise();
    expect(list.error).toBeUndefined();
    const items = list.data.assets.items as Asset[];
    const repository = items.find((asset) => asset.title === 'A repository')!;
    // urql adds __typename to each selection and hands it back as a non-enumerable property.
    expect(repository.__typename).toBe('GitAsset');
    expect(repository).toMatchObject({ externalUrl: 'https://example.com/repo.git' });

    const seen = await requestsDuring(async () => {
      const one = await client.query(urqlGql(GetAsset), { id: repository.id }, { requestPolicy: 'cache-only' }).toPromise();
      expect(one.data.asset).toMatchObject({ id: repository.id, title: 'A repository', externalUrl: 'https://example.com/repo.git' });
    });
    expect(seen).toEqual([]);

    const created = await client.mutation(urqlGql(CreateAsset), { input: { title: 'urql made this', assetType: 'PDF' } }).toPromise();
    expect(created.error).toBeUndefined();
    const id = created.data.createAsset.id as string;
    const cached = await client.query(urqlGql(GetAsset), { id }, { requestPolicy: 'cache-only' }).toPromise();
    expect(cached.data.asset).toMatchObject({ id, title: 'urql made this' });
    expect(cached.data.asset.__typename).toBe('PdfAsset');
    const relisted = await client.query(urqlGql(ListAssets), {}, { requestPolicy: 'network-only' }).toPromise();
    expect((relisted.data.assets.items as Asset[]).map((asset) => asset.title)).toContain('urql made this');
  });

  it('pages the connection with relayPagination', async () => {
    const client = urql();
    const total = (await client.query(urqlGql(ListAssets), {}, { requestPolicy: 'network-only' }).toPromise()).data.assets.total as number;
    let after: string | undefined;
    let titles: string[] = [];
    for (;;) {
      const page = await client.query(urqlGql(PageAssets), { first: 2, after }).toPromise();
      expect(page.error).toBeUndefined();
      const connection = page.data.assetsConnection;
      // relayPagination merges the pages into the one connection the query reads.
      titles = connection.edges.map((edge: { node: Asset }) => edge.node.title);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(titles).toHaveLength(total);
    expect(titles).toEqual(titles.slice().sort());
  });
});
