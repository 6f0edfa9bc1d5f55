import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createFiles } from '../../src/domain/files/index.ts';
import { type BackfillProgress, backfillSearch } from '../../src/domain/search-backfill.ts';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';
import { makeDocx, makeOdt, makePdf, multipartBody } from '../helpers/files.ts';
import { rest, uploadedPath } from '../helpers/rest.ts';

/**
 * Content search (issue: search inside the files): generated PDFs and documents of known text,
 * searched through both faces, on the engine the suite runs on (PGlite, or TEST_DATABASE_URL).
 */
const t = useTestApp();

const Search = gql(`
  query Search($query: String!, $filter: AssetSearchFilter, $first: Int, $after: String) {
    searchAssets(query: $query, filter: $filter, first: $first, after: $after) {
      totalCount
      fuzzy
      pageInfo { hasNextPage endCursor }
      facets { assetTypes { value count } libraries { libraryId count library { id name } } }
      edges { cursor node { score asset { id title assetType } highlights { field snippet page } } }
    }
  }
`);

async function create(key: string, fields: Record<string, unknown>, file?: { content: Buffer | string; name: string }) {
  const filePath = file ? await uploadedPath(t.app, key, file.content, file.name) : undefined;
  const response = await rest(t.app, key, 'post', '/api/v1/assets', { json: { ...fields, ...(filePath ? { file_path: filePath } : {}) } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data as { id: string; title: string };
}

async function search(key: string, query: string, variables: { filter?: object; first?: number; after?: string } = {}) {
  return expectData(await graphql(t.app, key, Search, { query, ...variables })).searchAssets;
}

const titlesOf = (result: Awaited<ReturnType<typeof search>>) => result.edges.map((edge) => edge.node.asset.title);

describe('content search', () => {
  let key: string;
  let otherKey: string;
  let libraryId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    key = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries']);
    otherKey = await t.newKey(['read:assets', 'write:assets']);
    libraryId = (await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'Reports' } })).body.data.id;

    const deck = await makePdf([
      ['Quarterly review', 'Agenda and attendees'],
      ['Revenue grew in every region'],
      ['The Q3 churn numbers are attached', 'Retention improved'],
    ]);
    ids.deck = (await create(key, { title: 'Board deck', asset_type: 'pdf', library_id: libraryId }, { content: deck, name: 'deck.pdf' })).id;
    const memo = await makeDocx(['The team was running experiments on pricing.', 'Nothing about retention here.']);
    ids.memo = (await create(key, { title: 'Pricing memo', asset_type: 'document', library_id: libraryId }, { content: memo, name: 'memo.docx' })).id;
    const notes = await makeOdt(['Meeting notes: churn is a lagging indicator.']);
    ids.notes = (await create(key, { title: 'Notes', asset_type: 'document' }, { content: notes, name: 'notes.odt' })).id;
    ids.readme = (
      await create(key, { title: 'Readme', asset_type: 'document' }, { content: '# Setup\n\nInstall the zephyr toolkit first.\n', name: 'readme.md' })
    ).id;
    // Ranking: "lantern" in a title, in a description, in a file's text.
    ids.titleHit = (await create(key, { title: 'Lantern design', asset_type: 'link', external_url: 'https://example.com/a' })).id;
    ids.descriptionHit = (
      await create(key, { title: 'Garden plan', description: 'Where the lantern goes', asset_type: 'link', external_url: 'https://example.com/b' })
    ).id;
    ids.contentHit = (await create(key, { title: 'Shopping list', asset_type: 'document' }, { content: 'Buy a lantern and some rope.', name: 'list.txt' })).id;
    ids.script = (await create(key, { title: 'Why <script>alert(1)</script> & friends fail', asset_type: 'link', external_url: 'https://example.com/x' })).id;
    // Another workspace's asset with the same words must never show.
    await create(otherKey, { title: 'Lantern churn zephyr', asset_type: 'link', external_url: 'https://example.com/o' });
  });

  it("finds a PDF's text and names the page of the hit", async () => {
    const result = await search(key, 'churn numbers');
    expect(titlesOf(result)).toEqual(['Board deck']);
    const [hit] = result.edges;
    expect(hit.node.highlights).toEqual([{ field: 'CONTENT', page: 3, snippet: expect.stringContaining('<mark>churn</mark> <mark>numbers</mark>') }]);
    expect(result.fuzzy).toBe(false);
  });

  it('stems: running finds run, and a document without pages has no page', async () => {
    const result = await search(key, 'run');
    expect(titlesOf(result)).toEqual(['Pricing memo']);
    expect(result.edges[0].node.highlights).toEqual([{ field: 'CONTENT', page: null, snippet: expect.stringContaining('<mark>running</mark>') }]);
  });

  it('matches a phrase, and only in that order', async () => {
    expect(titlesOf(await search(key, '"churn numbers"'))).toEqual(['Board deck']);
    expect(titlesOf(await search(key, '"numbers churn"'))).toEqual([]);
  });

  it('excludes a word', async () => {
    expect(titlesOf(await search(key, 'churn')).sort()).toEqual(['Board deck', 'Notes']);
    expect(titlesOf(await search(key, 'churn -retention'))).toEqual(['Notes']);
    expect(titlesOf(await search(key, 'zephyr or lagging')).sort()).toEqual(['Notes', 'Readme']);
  });

  it('matches the last word as a prefix while it is typed', async () => {
    expect(titlesOf(await search(key, 'lagg'))).toEqual(['Notes']);
    expect(titlesOf(await search(key, 'q3 chu'))).toEqual(['Board deck']);
    // Only the last word: an earlier partial word matches whole, or only through the typo fallback.
    expect(await search(key, 'chu numbers')).toMatchObject({ fuzzy: true });
  });

  it('falls back to similar words when nothing matches as typed, and says so', async () => {
    const result = await search(key, 'zephir toolkit');
    expect(titlesOf(result)).toEqual(['Readme']);
    expect(result.fuzzy).toBe(true);
    expect(result.edges[0].node.highlights[0].snippet).toContain('<mark>zephyr</mark>');
    const nothing = await search(key, 'qwxzvbn');
    expect(nothing).toMatchObject({ totalCount: 0, fuzzy: false, edges: [] });
  });

  it('ranks a title match above a description match above a match in the text, each with its highlight', async () => {
    const result = await search(key, 'lantern');
    expect(result.edges.map((edge) => edge.node.asset.id)).toEqual([ids.titleHit, ids.descriptionHit, ids.contentHit]);
    const [title, description, content] = result.edges.map((edge) => edge.node);
    expect(title.score).toBeGreaterThan(description.score);
    expect(description.score).toBeGreaterThan(content.score);
    expect(title.highlights).toEqual([{ field: 'TITLE', snippet: '<mark>Lantern</mark> design', page: null }]);
    expect(description.highlights).toEqual([{ field: 'DESCRIPTION', snippet: 'Where the <mark>lantern</mark> goes', page: null }]);
    expect(content.highlights).toEqual([{ field: 'CONTENT', snippet: 'Buy a <mark>lantern</mark> and some rope.', page: null }]);
  });

  it('ranks by field before frequency: one word in the description above a text saying both words forty times', async () => {
    const ranked = await t.newKey();
    const often = await create(ranked, { title: 'Inventory', asset_type: 'document' }, { content: 'beacon lighthouse '.repeat(40), name: 'often.txt' });
    const described = await create(ranked, {
      title: 'Harbour',
      description: `A long description of the harbour, its piers, its cranes and its tides, and somewhere a beacon among ${'many other words '.repeat(20)}`,
      asset_type: 'link',
      external_url: 'https://example.com/harbour',
    });
    const titled = await create(ranked, {
      title: 'The old harbour beacon and the ships that pass it at night',
      asset_type: 'link',
      external_url: 'https://example.com/t',
    });
    for (const query of ['beacon', 'beacon or lighthouse']) {
      const result = await search(ranked, query);
      expect(
        result.edges.map((edge) => edge.node.asset.id),
        query,
      ).toEqual([titled.id, described.id, often.id]);
    }
  });

  it('pages through the ranked hits with cursors, and counts facets over the whole result', async () => {
    const first = await search(key, 'lantern', { first: 2 });
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBe(3);
    expect(first.facets.assetTypes).toEqual([
      { value: 'LINK', count: 2 },
      { value: 'DOCUMENT', count: 1 },
    ]);
    const rest2 = await search(key, 'lantern', { first: 2, after: first.pageInfo.endCursor! });
    expect(rest2.edges.map((edge) => edge.node.asset.id)).toEqual([ids.contentHit]);
    expect(rest2.pageInfo.hasNextPage).toBe(false);

    const inLibrary = await search(key, 'retention or running', { first: 1 });
    expect(inLibrary.totalCount).toBe(2);
    expect(inLibrary.facets.assetTypes).toEqual([
      { value: 'DOCUMENT', count: 1 },
      { value: 'PDF', count: 1 },
    ]);
    expect(inLibrary.facets.libraries).toEqual([{ libraryId, count: 2, library: { id: libraryId, name: 'Reports' } }]);
    const filtered = await search(key, 'retention or running', { filter: { assetType: 'PDF', libraryId } });
    expect(titlesOf(filtered)).toEqual(['Board deck']);
  });

  it('escapes HTML around the marks', async () => {
    const result = await search(key, 'friends');
    expect(result.edges[0].node.highlights).toEqual([
      { field: 'TITLE', page: null, snippet: 'Why &lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>friends</mark> fail' },
    ]);
  });

  it("never shows another workspace's assets, nor deleted ones", async () => {
    expect(titlesOf(await search(otherKey, 'churn'))).toEqual(['Lantern churn zephyr']);
    expect(titlesOf(await search(otherKey, 'retention'))).toEqual([]);
    const gone = await create(key, { title: 'Obsolete pelican', asset_type: 'link', external_url: 'https://example.com/p' });
    expect(titlesOf(await search(key, 'pelican'))).toEqual(['Obsolete pelican']);
    expect((await rest(t.app, key, 'delete', `/api/v1/assets/${gone.id}`)).status).toBe(200);
    expect(await search(key, 'pelican')).toMatchObject({ totalCount: 0, edges: [], fuzzy: false });
  });

  it('follows an updated title', async () => {
    const asset = await create(key, { title: 'Old heron', asset_type: 'link', external_url: 'https://example.com/h' });
    await rest(t.app, key, 'patch', `/api/v1/assets/${asset.id}`, { json: { title: 'New egret' } });
    expect(titlesOf(await search(key, 'egret'))).toEqual(['New egret']);
    expect(titlesOf(await search(key, 'heron'))).toEqual([]);
  });

  it('answers a query of only stop words or punctuation with nothing, and refuses a blank or too long one', async () => {
    for (const query of ['the', 'a of the', '!!! ???', '"', '-', '(:*&|!)']) {
      expect(await search(key, query), query).toMatchObject({ totalCount: 0, edges: [], fuzzy: false });
    }
    for (const query of [' ', 'x'.repeat(201), 'a\u0001b']) {
      const response = await graphql(t.app, key, Search, { query });
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    }
  });

  it('takes odd input without PostgreSQL raising', async () => {
    for (const query of ["'", "o'brien", '\\', 'a:*', 'a & b | !c', '<->', 'or', 'or or', '-"x', '"unterminated phrase', 'x:', ':*', 'éß中文 データ']) {
      const response = await graphql(t.app, key, Search, { query });
      expect(response.errors, query).toBeUndefined();
    }
  });

  it('needs read:assets', async () => {
    const noRead = await t.newKey(['write:assets']);
    const response = await graphql(t.app, noRead, Search, { query: 'churn' });
    expect(response.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await rest(t.app, noRead, 'get', '/api/v1/search?q=churn')).status).toBe(403);
  });

  describe('GET /api/v1/search', () => {
    it("answers the catalog's envelope: assets with score and highlights, facets beside pagination", async () => {
      const response = await rest(t.app, key, 'get', '/api/v1/search?q=lantern&per_page=2');
      expect(response.status).toBe(200);
      const { data, pagination, facets, fuzzy } = response.body;
      expect(pagination).toEqual({ page: 1, per_page: 2, total: 3, total_pages: 2 });
      expect(facets).toEqual({ asset_type: { link: 2, document: 1 }, library_id: {} });
      expect(fuzzy).toBe(false);
      expect(data.map((item: { id: string }) => item.id)).toEqual([ids.titleHit, ids.descriptionHit]);
      expect(data[0]).toMatchObject({ id: ids.titleHit, title: 'Lantern design', asset_type: 'link', slug: expect.any(String), download_count: 0 });
      expect(data[0].highlights).toEqual([{ field: 'title', snippet: '<mark>Lantern</mark> design', page: null }]);
      expect(data[0].score).toBeGreaterThan(2);
      const second = await rest(t.app, key, 'get', '/api/v1/search?q=lantern&per_page=2&page=2');
      expect(second.body.data.map((item: { id: string }) => item.id)).toEqual([ids.contentHit]);
    });

    it('filters by type and library, names the page of a PDF hit', async () => {
      const response = await rest(t.app, key, 'get', `/api/v1/search?q=churn&asset_type=pdf&library_id=${libraryId}`);
      expect(response.body.data).toHaveLength(1);
      expect(response.body.data[0].highlights).toEqual([{ field: 'content', page: 3, snippet: expect.stringContaining('<mark>churn</mark>') }]);
      expect(response.body.facets).toEqual({ asset_type: { pdf: 1 }, library_id: { [libraryId]: 1 } });
    });

    it('refuses a missing, blank or too long q naming q, and a bad filter naming it', async () => {
      for (const url of ['/api/v1/search', '/api/v1/search?q=', '/api/v1/search?q=%20', `/api/v1/search?q=${'x'.repeat(201)}`]) {
        const response = await rest(t.app, key, 'get', url);
        expect(response.status, url).toBe(400);
        expect(response.body.field, url).toBe('q');
      }
      expect((await rest(t.app, key, 'get', '/api/v1/search?q=a&asset_type=nope')).body.field).toBe('asset_type');
      expect((await rest(t.app, key, 'get', '/api/v1/search?q=a&library_id=nope')).body.field).toBe('library_id');
    });

    it('keeps GET /assets?search= a substring of title or description', async () => {
      const response = await rest(t.app, key, 'get', '/api/v1/assets?search=antern');
      expect(response.body.data.map((item: { title: string }) => item.title).sort()).toEqual(['Garden plan', 'Lantern design']);
    });

    it('is in the OpenAPI document', async () => {
      const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const operation = document.paths['/search'].get;
      expect(operation.operationId).toBe('searchAssets');
      expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['asset_type', 'library_id', 'page', 'per_page', 'q']);
      expect(operation.description).toContain('`read:assets`');
    });
  });

  describe('the backfill of assets created before search', () => {
    it('reads their files again, indexes them, tells its progress, and does nothing more when run again', async () => {
      const db = t.database.db;
      const before = await t.newKey();
      const pdf = await makePdf([['Nothing here'], ['The walrus ledger is on this page']]);
      const deck = await create(before, { title: 'Old deck', asset_type: 'pdf' }, { content: pdf, name: 'old.pdf' });
      const link = await create(before, { title: 'Old albatross link', asset_type: 'link', external_url: 'https://example.com/al' });
      const lost = await create(before, { title: 'Lost memo', asset_type: 'document' }, { content: 'The narwhal text', name: 'lost.txt' });
      // As they were before search existed: no text kept, no vector; and one file gone from the store.
      const ids = [deck.id, link.id, lost.id];
      await db.$executeRaw`DELETE FROM asset_texts WHERE asset_id = ANY(${ids}::uuid[])`;
      await db.$executeRaw`UPDATE assets SET search_vector = NULL WHERE id = ANY(${ids}::uuid[])`;
      const storedLost = await db.upload.findFirstOrThrow({ where: { assetId: lost.id } });
      await unlink(join(t.dataDir, 'uploads', storedLost.storageKey));
      expect(await search(before, 'walrus')).toMatchObject({ totalCount: 0 });
      expect(await search(before, 'albatross')).toMatchObject({ totalCount: 0 });

      const files = createFiles(loadConfig(t.env));
      const progress: BackfillProgress[] = [];
      const result = await backfillSearch(db, files, { onProgress: (p) => progress.push(p) });
      expect(result).toMatchObject({ texts: 2, unreadable: 1 });
      expect(result.vectors).toBe(1); // the link: the trigger of the kept texts indexed the others
      expect(progress.at(-1)).toMatchObject({ phase: 'vectors' });
      expect(progress.find((p) => p.phase === 'texts')).toMatchObject({ total: 2 });

      const found = await search(before, 'walrus');
      expect(found.edges.map((edge) => [edge.node.asset.id, edge.node.highlights[0].page])).toEqual([[deck.id, 2]]);
      expect(titlesOf(await search(before, 'albatross'))).toEqual(['Old albatross link']);
      expect(titlesOf(await search(before, 'lost'))).toEqual(['Lost memo']);
      // The vocabulary too: the typo fallback knows the backfilled words.
      expect(await search(before, 'walrsu')).toMatchObject({ fuzzy: true, totalCount: 1 });

      expect(await backfillSearch(db, files)).toEqual({ texts: 0, unreadable: 0, vectors: 0 });
      const all = await backfillSearch(db, files, { all: true, batchSize: 7 });
      expect(all.vectors).toBe(await db.asset.count());
      expect(titlesOf(await search(before, 'walrus'))).toEqual(['Old deck']);
    });
  });
});

describe('SEARCH_LANGUAGE', () => {
  const simple = useTestApp({ SEARCH_LANGUAGE: 'simple' });

  it('simple: no stemming and no stop words, words match as written', async () => {
    const key = await simple.newKey();
    const { payload, contentType } = multipartBody([
      { name: 'file', filename: 'a.txt', content: 'The team was running experiments.', contentType: 'text/plain' },
    ]);
    const filePath = (await rest(simple.app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } })).body.data.file_path;
    expect((await rest(simple.app, key, 'post', '/api/v1/assets', { json: { title: 'Memo', asset_type: 'document', file_path: filePath } })).status).toBe(201);
    const found = async (q: string) => {
      const { data, fuzzy } = (await rest(simple.app, key, 'get', `/api/v1/search?q=${encodeURIComponent(q)}`)).body;
      return { titles: data.map((item: { title: string }) => item.title), fuzzy };
    };
    expect(await found('running')).toEqual({ titles: ['Memo'], fuzzy: false });
    expect(await found('the')).toEqual({ titles: ['Memo'], fuzzy: false });
    // English stemming finds it as is; here only the typo fallback does.
    expect(await found('runs')).toEqual({ titles: ['Memo'], fuzzy: true });
  });
});
