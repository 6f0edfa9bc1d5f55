import escapeHtml from 'escape-html';
import type { Db } from '../db/client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { AssetType } from '../generated/prisma/enums.ts';
import { maxSearchLength } from './assets.ts';
import { ValidationError } from './errors.ts';
import { checkUuid } from './ids.ts';

/**
 * Content search: ranked full-text search over titles, descriptions and the text kept from files
 * (./files/text.ts), on PostgreSQL's text search. Each asset's `search_vector` (title weight A,
 * description B, text C, in the configured language) is written by triggers (the content_search
 * migration) and indexed with GIN; its title and description part is kept beside it, generated,
 * for the ranking; the query is PostgreSQL's `websearch_to_tsquery` (words,
 * "a phrase", -excluded, or), the last word also matching as a prefix while it is typed. When
 * nothing matches, each word is replaced by the most similar word of the workspace's vocabulary
 * (trigram similarity) and the search runs once more, flagged `fuzzy`.
 */

export const maxSearchQueryLength = maxSearchLength;
/** The most words of one query the typo fallback tries to correct. */
const maxCorrectedWords = 8;
/** How many of a PDF's pages a hit shows highlights of. */
const maxPageHighlights = 3;

export type SearchField = 'title' | 'description' | 'content';

export interface SearchHighlight {
  field: SearchField;
  /** The matched words between `<mark>` and `</mark>`, everything else HTML-escaped. */
  snippet: string;
  /** For a PDF's text, the page (from 1) the snippet is on. */
  page: number | null;
}

export interface SearchFacets {
  assetTypes: { value: AssetType; count: number }[];
  /** Assets in no library are not counted here. */
  libraries: { libraryId: string; count: number }[];
}

/** A place in the ranked order, as a cursor carries it. */
export interface SearchPosition {
  score: number;
  id: string;
}

export interface SearchHit extends SearchPosition {}

export interface SearchFilter {
  assetType?: AssetType | null;
  libraryId?: string | null;
}

export interface SearchRequest {
  query: string;
  /** How the query's argument is named on this face (`query`, REST's `q`), for its refusals. */
  queryField: string;
  filter?: SearchFilter | null;
  /** One of: an offset, or the position the page follows. */
  skip?: number;
  after?: SearchPosition | null;
  take: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Whether the hits come from the typo fallback. */
  fuzzy: boolean;
  /** Every match's count, by type and by library, and the total: counted when first asked for. */
  facets(): Promise<SearchFacets & { total: number }>;
  /** The highlights of the hits, by asset id: read when first asked for. */
  highlights(): Promise<Map<string, SearchHighlight[]>>;
}

/** The search, ready to run: its tsquery (SQL), and the filters every statement repeats. */
interface PreparedSearch {
  db: Db;
  /** The query as typed (or as corrected). */
  query: string;
  tsquery: Prisma.Sql;
  where: Prisma.Sql;
}

const empty: SearchResult = {
  hits: [],
  fuzzy: false,
  facets: async () => ({ assetTypes: [], libraries: [], total: 0 }),
  highlights: async () => new Map(),
};

/**
 * The query, trimmed; blank is refused. The text rule (characters, length) has checked it already,
 * on the GraphQL argument both faces go through; a query of only stop words or punctuation finds nothing.
 */
export function checkSearchQuery(query: string, field: string): string {
  const text = query.trim();
  if (!text) throw new ValidationError(field, 'Query must not be blank');
  return text;
}

export async function searchAssets(db: Db, workspaceId: string, request: SearchRequest): Promise<SearchResult> {
  const query = checkSearchQuery(request.query, request.queryField);
  const { assetType, libraryId } = request.filter ?? {};
  // Another workspace's library, or no library at all, simply holds no match.
  if (libraryId != null) checkUuid('libraryId', 'Library ID', libraryId);
  const where = Prisma.sql`a.workspace_id = ${workspaceId}::uuid AND a.deleted_at IS NULL
    ${assetType ? Prisma.sql`AND a.asset_type = ${assetType}::asset_type` : Prisma.empty}
    ${libraryId ? Prisma.sql`AND a.library_id = ${libraryId}::uuid` : Prisma.empty}`;

  let search: PreparedSearch = { db, query, tsquery: tsqueryOf(query), where };
  let fuzzy = false;
  let hits = await rankedPage(search, request);
  if (!hits.length) {
    // Nothing here: a query of only stop words or punctuation (an empty tsquery: nothing to
    // correct), a page past the end, or no match at all, which the typo fallback tries.
    const [{ nodes, matches }] = await db.$queryRaw<{ nodes: number; matches: number }[]>`
      SELECT numnode(websearch_to_tsquery(search_language(), ${query})) AS nodes, (${matchCount(search)}) AS matches`;
    if (nodes === 0 || matches > 0) return empty;
    const corrected = await correctTypos(db, workspaceId, query);
    if (corrected === null) return empty;
    search = { ...search, query: corrected, tsquery: tsqueryOf(corrected) };
    hits = await rankedPage(search, request);
    if (!hits.length && !(await db.$queryRaw<{ matches: number }[]>`SELECT (${matchCount(search)}) AS matches`)[0].matches) return empty;
    fuzzy = true;
  }
  let facets: ReturnType<SearchResult['facets']> | undefined;
  let highlights: ReturnType<SearchResult['highlights']> | undefined;
  return {
    hits,
    fuzzy,
    facets: () => (facets ??= countFacets(search)),
    highlights: () => (highlights ??= highlightsOf(search, hits)),
  };
}

/**
 * The query as a tsquery. websearch_to_tsquery accepts any text without raising; the last word,
 * when it is a plain word outside quotes, also matches as a prefix (`to_tsquery` of letters and
 * digits and `:*`, which always parses), so "q3 chur" finds "Q3 churn" as it is typed.
 */
function tsqueryOf(query: string): Prisma.Sql {
  const whole = Prisma.sql`websearch_to_tsquery(search_language(), ${query})`;
  const match = /^(.*?)\s*(\S+)$/su.exec(query);
  if (!match) return whole;
  let [, rest, last] = match;
  const insidePhrase = (rest.match(/"/g)?.length ?? 0) % 2 === 1;
  if (insidePhrase || !/^[\p{L}\p{N}]+$/u.test(last) || /^or$/i.test(last)) return whole;
  const either = /(^|\s)or$/i.test(rest);
  if (either) rest = rest.replace(/\s*\bor$/i, '');
  const lastWord = Prisma.sql`(websearch_to_tsquery(search_language(), ${last}) || to_tsquery('simple', ${`${last}:*`}))`;
  if (!rest.trim()) return lastWord;
  const restQuery = Prisma.sql`websearch_to_tsquery(search_language(), ${rest})`;
  return either ? Prisma.sql`(${restQuery} || ${lastWord})` : Prisma.sql`(${restQuery} && ${lastWord})`;
}

/**
 * How many assets match: a count, not EXISTS, whose LIMIT 1 makes the planner walk the table
 * hoping for an early match, and read every vector when there is none (2 s at a million assets).
 */
function matchCount({ tsquery, where }: PreparedSearch) {
  return Prisma.sql`SELECT count(*)::int FROM assets a WHERE ${where} AND a.search_vector @@ (SELECT ${tsquery})`;
}

/**
 * Whether the query (`q.tsq`) matches in the title, in the description, in the file's text: the
 * ranking's tiers and the highlights' fields. The first two are asked of the small
 * title_description_vector: asked of search_vector, each hit's whole text vector would be
 * de-TOASTed and copied again (half a common word's time at a million assets).
 */
const matchesIn = {
  title: Prisma.sql`ts_filter(a.title_description_vector, '{a}') @@ q.tsq`,
  description: Prisma.sql`ts_filter(a.title_description_vector, '{b}') @@ q.tsq`,
  content: Prisma.sql`ts_filter(a.search_vector, '{c}') @@ q.tsq`,
};

/**
 * A title match ranks above a description match, which ranks above a text match: the field
 * makes the integer part of the score, ts_rank (normalised to [0, 1)) the rest; ties by id.
 */
function score() {
  return Prisma.sql`(CASE WHEN ${matchesIn.title} THEN 2 WHEN ${matchesIn.description} THEN 1 ELSE 0 END
    + ts_rank(a.search_vector, q.tsq, 32))::float8`;
}

async function rankedPage({ db, query, tsquery, where }: PreparedSearch, request: SearchRequest): Promise<SearchHit[]> {
  const { after, take } = request;
  const position = after ? Prisma.sql`WHERE m.score < ${after.score} OR (m.score = ${after.score} AND m.id > ${after.id}::uuid)` : Prisma.empty;
  const rows = await db.$queryRaw<{ id: string; score: number }[]>`
    WITH q AS MATERIALIZED (SELECT ${tsquery} AS tsq)
    SELECT m.id::text AS id, m.score FROM (
      SELECT a.id, ${score()} AS score
      FROM assets a CROSS JOIN q
      WHERE ${where} AND a.search_vector @@ (SELECT tsq FROM q)
        -- Only stop words or punctuation: no hits, even where the last word's prefix would match.
        AND numnode(websearch_to_tsquery(search_language(), ${query})) > 0
    ) m
    ${position}
    ORDER BY m.score DESC, m.id
    LIMIT ${take} OFFSET ${after ? 0 : (request.skip ?? 0)}`;
  return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
}

async function countFacets({ db, tsquery, where }: PreparedSearch): Promise<SearchFacets & { total: number }> {
  const rows = await db.$queryRaw<{ asset_type: AssetType | null; library_id: string | null; count: number; by_type: boolean }[]>`
    SELECT a.asset_type::text AS asset_type, a.library_id::text AS library_id, count(*)::int AS count, GROUPING(a.library_id) = 1 AS by_type
    FROM assets a
    WHERE ${where} AND a.search_vector @@ (SELECT ${tsquery})
    GROUP BY GROUPING SETS ((a.asset_type), (a.library_id))`;
  const facets: SearchFacets & { total: number } = { assetTypes: [], libraries: [], total: 0 };
  for (const row of rows) {
    if (row.by_type) {
      facets.assetTypes.push({ value: row.asset_type!, count: row.count });
      facets.total += row.count;
    } else if (row.library_id) facets.libraries.push({ libraryId: row.library_id, count: row.count });
  }
  const byCount =
    <T extends { count: number }>(key: (item: T) => string) =>
    (x: T, y: T) =>
      y.count - x.count || key(x).localeCompare(key(y));
  facets.assetTypes.sort(byCount((item) => item.value));
  facets.libraries.sort(byCount((item) => item.libraryId));
  return facets;
}

/**
 * ts_headline marks matches with STX/ETX, characters no stored text holds (titles and
 * descriptions refuse them, file text has them replaced): the snippet is HTML-escaped, then they
 * become the documented `<mark>` tags.
 */
const whole = 'StartSel=\u0002, StopSel=\u0003, HighlightAll=true';
const passage = 'StartSel=\u0002, StopSel=\u0003, MaxWords=30, MinWords=12';

async function highlightsOf({ db, tsquery }: PreparedSearch, hits: SearchHit[]): Promise<Map<string, SearchHighlight[]>> {
  const byId = new Map<string, SearchHighlight[]>();
  if (!hits.length) return byId;
  const rows = await db.$queryRaw<
    { id: string; title: string | null; description: string | null; content: { page: number; snippet: string }[] | null; paged: boolean | null }[]
  >`
    WITH q AS MATERIALIZED (SELECT ${tsquery} AS tsq, search_language() AS lang)
    SELECT a.id::text AS id,
      CASE WHEN ${matchesIn.title} THEN ts_headline(q.lang, a.title, q.tsq, ${whole}) END AS title,
      CASE WHEN a.description IS NOT NULL AND ${matchesIn.description} THEN ts_headline(q.lang, a.description, q.tsq, ${passage}) END AS description,
      CASE WHEN t.pages IS NOT NULL AND ${matchesIn.content} THEN coalesce(
        (SELECT json_agg(json_build_object('page', p.n, 'snippet', ts_headline(q.lang, p.body, q.tsq, ${passage})) ORDER BY p.n)
         FROM (SELECT u.body, u.n FROM unnest(t.pages) WITH ORDINALITY AS u(body, n)
               WHERE to_tsvector(q.lang, u.body) @@ q.tsq ORDER BY u.n LIMIT ${maxPageHighlights}) p),
        -- A match spread over pages (a phrase across a page break): one snippet of the whole text.
        json_build_array(json_build_object('page', NULL, 'snippet', ts_headline(q.lang, array_to_string(t.pages, E'\n'), q.tsq, ${passage})))
      ) END AS content,
      t.paged
    FROM assets a CROSS JOIN q LEFT JOIN asset_texts t ON t.asset_id = a.id
    WHERE a.id = ANY(${hits.map((hit) => hit.id)}::uuid[])`;
  for (const row of rows) {
    const highlights: SearchHighlight[] = [];
    if (row.title !== null) highlights.push({ field: 'title', snippet: marked(row.title), page: null });
    if (row.description !== null) highlights.push({ field: 'description', snippet: marked(row.description), page: null });
    for (const { page, snippet } of row.content ?? [])
      if (snippet) highlights.push({ field: 'content', snippet: marked(snippet), page: row.paged ? page : null });
    byId.set(row.id, highlights);
  }
  return byId;
}

export function marked(headline: string): string {
  return escapeHtml(headline).replaceAll('\u0002', '<mark>').replaceAll('\u0003', '</mark>');
}

/**
 * The query with each word that the workspace's vocabulary lacks replaced by its most similar
 * word there (pg_trgm's `%`: similarity of at least 0.3, on the vocabulary's trigram index), or
 * null when no word changes. Excluded words (`-word`) stay as typed.
 */
async function correctTypos(db: Db, workspaceId: string, query: string): Promise<string | null> {
  const words = [...new Set([...query.matchAll(/(^|[^\p{L}\p{N}-])([\p{L}\p{N}]{3,40})(?![\p{L}\p{N}])/gu)].map((m) => m[2].toLowerCase()))]
    .filter((word) => word !== 'or')
    .slice(0, maxCorrectedWords);
  if (!words.length) return null;
  const rows = await db.$queryRaw<{ input: string; word: string | null }[]>`
    SELECT w.input, (
      SELECT s.word FROM search_words s
      WHERE s.workspace_id = ${workspaceId}::uuid AND s.word % w.input
      ORDER BY similarity(s.word, w.input) DESC, s.word LIMIT 1
    ) AS word
    FROM unnest(${words}::text[]) AS w(input)`;
  const corrections = new Map(rows.filter((row) => row.word !== null && row.word !== row.input).map((row) => [row.input, row.word!]));
  if (!corrections.size) return null;
  return query.replace(/(^|[^\p{L}\p{N}-])([\p{L}\p{N}]{3,40})(?![\p{L}\p{N}])/gu, (all, before: string, word: string) => {
    const correction = corrections.get(word.toLowerCase());
    return correction ? before + correction : all;
  });
}

/** Writes the configured language where the triggers and queries read it; says whether it changed (the vectors then need a reindex). */
export async function setSearchLanguage(db: Db, language: string): Promise<{ previous: string | null }> {
  const [row] = await db.$queryRaw<{ language: string }[]>`SELECT language FROM search_settings`;
  if (row?.language === language) return { previous: language };
  await db.$executeRaw`INSERT INTO search_settings (id, language) VALUES (true, ${language}) ON CONFLICT (id) DO UPDATE SET language = EXCLUDED.language`;
  return { previous: row?.language ?? null };
}
