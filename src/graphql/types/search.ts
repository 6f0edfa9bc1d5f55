import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { scopeRule } from '../../auth/scopes.ts';
import { defaultPerPage, maxPerPage, resolvePage, visibleAssets } from '../../domain/assets.ts';
import { ValidationError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import {
  maxSearchQueryLength,
  searchAssets,
  type SearchFacets,
  type SearchFilter,
  type SearchHighlight,
  type SearchPosition,
  type SearchResult,
} from '../../domain/search.ts';
import { builder, cursorRules } from '../builder.ts';
import type { Context } from '../context.ts';
import { enumValuesOf, identityMap } from '../enums.ts';
import { rules } from '../rules.ts';
import { AssetInterface } from './asset.ts';
import { workspaceOf, offsetPageFields, pageArgs, type OffsetPage } from './asset-queries.ts';
import { AssetTypeEnum } from './asset-types.ts';
import { LibraryRef } from './library.ts';

const queryDescription =
  `Words as typed in a search box (PostgreSQL's websearch_to_tsquery): words, "a phrase", -excluded, or. The last word also matches as a ` +
  `prefix. Refused when blank; a query of only stop words or punctuation finds nothing. At most ${maxSearchQueryLength} characters.`;
const queryRules = rules({ minLength: 1, maxLength: maxSearchQueryLength });

export const SearchFieldEnum = builder.enumType('SearchField', {
  description: 'Where a search matched.',
  values: enumValuesOf(identityMap(['title', 'description', 'content'] as const)),
});

export const SearchHighlightRef = builder.objectRef<SearchHighlight>('SearchHighlight').implement({
  description: 'A matching passage: the matched words between `<mark>` and `</mark>`, all other text HTML-escaped.',
  fields: (t) => ({
    field: t.field({ type: SearchFieldEnum, resolve: (highlight) => highlight.field }),
    snippet: t.exposeString('snippet'),
    page: t.exposeInt('page', { nullable: true, description: "For a PDF's text, the page (from 1) the snippet is on; null otherwise." }),
  }),
});

/** A hit as resolvers hold it: the asset's row (with the selection the query made) and its result's highlights. */
interface Hit extends SearchPosition {
  asset: Record<string, unknown>;
  result: SearchResult;
}

export const AssetSearchHitRef = builder.objectRef<Hit>('AssetSearchHit').implement({
  fields: (t) => ({
    asset: t.field({ type: AssetInterface, resolve: (hit) => hit.asset as never }),
    score: t.exposeFloat('score', {
      description: 'Relevance: 2 and above for a title match, 1 to 2 for a description match, below 1 for a match in the text only.',
    }),
    highlights: t.field({
      type: [SearchHighlightRef],
      resolve: async (hit) => (await hit.result.highlights()).get(hit.id) ?? [],
    }),
  }),
});

const AssetTypeFacetRef = builder.objectRef<SearchFacets['assetTypes'][number]>('AssetTypeFacet').implement({
  fields: (t) => ({
    value: t.field({ type: AssetTypeEnum, resolve: (facet) => facet.value }),
    count: t.exposeInt('count'),
  }),
});

const LibraryFacetRef = builder.objectRef<SearchFacets['libraries'][number]>('LibraryFacet').implement({
  fields: (t) => ({
    libraryId: t.exposeID('libraryId'),
    library: t.prismaField({
      type: LibraryRef,
      nullable: true,
      authScopes: scopeRule('LibraryFacet', 'library'),
      // The facets' libraries in one statement for all of them (../loaders.ts): a common word may
      // count in every library of the workspace.
      resolve: (query, facet, _args, ctx) => {
        const workspaceId = workspaceOf(ctx);
        return ctx.loaders.load(
          { of: 'facetLibrary', workspaceId, query },
          async (libraryIds) => {
            const libraries = await ctx.db.library.findMany({ ...query, where: { id: { in: [...libraryIds] }, workspaceId } });
            return new Map(libraries.map((library) => [library.id, library]));
          },
          facet.libraryId,
          null,
        );
      },
    }),
    count: t.exposeInt('count'),
  }),
});

const SearchFacetsRef = builder.objectRef<SearchFacets>('SearchFacets').implement({
  description: 'Counts over every match of the search (not only the page), by asset type and by library (assets in no library are not counted there).',
  fields: (t) => ({
    assetTypes: t.field({ type: [AssetTypeFacetRef], resolve: (facets) => facets.assetTypes }),
    libraries: t.field({ type: [LibraryFacetRef], resolve: (facets) => facets.libraries }),
  }),
});

const AssetSearchFilterInput = builder.inputType('AssetSearchFilter', {
  fields: (t) => ({
    assetType: t.field({ type: AssetTypeEnum, required: false }),
    libraryId: t.id({ required: false, description: 'Only assets of this library of your workspace.' }),
  }),
});

interface SearchConnection {
  edges: { cursor: string; node: Hit }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  result: SearchResult;
}

const AssetSearchEdgeRef = builder.objectRef<SearchConnection['edges'][number]>('AssetSearchEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: AssetSearchHitRef, resolve: (edge) => edge.node }),
  }),
});

const AssetSearchConnectionRef = builder.objectRef<SearchConnection>('AssetSearchConnection').implement({
  description: 'Search hits, best first (ties by id), as a Relay connection.',
  fields: (t) => ({
    edges: t.field({ type: [AssetSearchEdgeRef], resolve: (connection) => connection.edges }),
    nodes: t.field({ type: [AssetSearchHitRef], resolve: (connection) => connection.edges.map((edge) => edge.node) }),
    pageInfo: t.field({ type: builder.pageInfoRef(), resolve: (connection) => connection.pageInfo }),
    totalCount: t.int({ resolve: async (connection) => (await connection.result.facets()).total }),
    facets: t.field({ type: SearchFacetsRef, resolve: (connection) => connection.result.facets() }),
    fuzzy: t.boolean({
      description: 'True when nothing matched the query as typed and these hits match it with its misspelt words corrected.',
      resolve: (connection) => connection.result.fuzzy,
    }),
  }),
});

interface SearchPage extends OffsetPage {
  items: Hit[];
  result: SearchResult;
}

const AssetSearchPageRef = builder.objectRef<SearchPage>('AssetSearchPage').implement({
  description: 'One page of search hits, best first (ties by id), with the counts of the whole result.',
  fields: (t) => ({
    items: t.field({ type: [AssetSearchHitRef], resolve: (page) => page.items }),
    ...offsetPageFields(t),
    facets: t.field({ type: SearchFacetsRef, resolve: (page) => page.result.facets() }),
    fuzzy: t.boolean({ resolve: (page) => page.result.fuzzy }),
  }),
});

/** A search cursor: the hit's score and id, so the next page starts right after it. */
function searchCursor(hit: SearchPosition): string {
  return Buffer.from(JSON.stringify([hit.score, hit.id])).toString('base64url');
}

function parseSearchCursor(cursor: string): SearchPosition {
  try {
    const [score, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof score === 'number' && Number.isFinite(score) && typeof id === 'string' && isUuid(id)) return { score, id };
  } catch {}
  throw new ValidationError('after', 'Invalid cursor');
}

/** The hits' assets, read in one statement with the selection the operation made at `paths`. */
async function withAssets(result: SearchResult, ctx: Context, info: GraphQLResolveInfo, paths: string[][]): Promise<Hit[]> {
  if (!result.hits.length) return [];
  const query = queryFromInfo({ context: ctx, info, typeName: AssetInterface.name, paths });
  // The same visibility as the search: an asset deleted since it was found is not shown.
  const rows = await ctx.db.asset.findMany({ ...query, where: { ...visibleAssets(workspaceOf(ctx)), id: { in: result.hits.map((hit) => hit.id) } } });
  const byId = new Map(rows.map((row) => [row.id, row as Record<string, unknown>]));
  return result.hits.flatMap((hit) => {
    const asset = byId.get(hit.id);
    return asset ? [{ ...hit, asset, result }] : [];
  });
}

const filterOf = (filter: { assetType?: SearchFilter['assetType']; libraryId?: string | number | null } | null | undefined): SearchFilter => ({
  assetType: filter?.assetType,
  libraryId: filter?.libraryId == null ? null : String(filter.libraryId),
});

builder.queryFields((t) => ({
  searchAssets: t.field({
    type: AssetSearchConnectionRef,
    description:
      'Ranked full-text search of your workspace: titles, descriptions, and the text of PDFs (per page) and documents. ' +
      'A title match ranks above a description match, which ranks above a match in the text.',
    authScopes: scopeRule('Query', 'searchAssets'),
    args: {
      query: t.arg.string({ required: true, description: queryDescription, extensions: queryRules }),
      filter: t.arg({ type: AssetSearchFilterInput, required: false }),
      first: t.arg.int({ defaultValue: defaultPerPage, description: `At most ${maxPerPage}; larger values are clamped.`, extensions: rules({ minimum: 0 }) }),
      after: t.arg.string({ required: false, extensions: cursorRules }),
    },
    resolve: async (_root, args, ctx, info) => {
      const first = args.first ?? defaultPerPage;
      if (!Number.isSafeInteger(first) || first < 0) throw new ValidationError('first', 'First must be an integer of at least 0');
      const size = Math.min(first, maxPerPage);
      const after = args.after == null ? null : parseSearchCursor(args.after);
      const result = await searchAssets(ctx.db, workspaceOf(ctx), {
        query: args.query,
        queryField: 'query',
        filter: filterOf(args.filter),
        after,
        take: size + 1,
      });
      const more = result.hits.length > size;
      const page = { ...result, hits: result.hits.slice(0, size) };
      const hits = await withAssets(page, ctx, info, [
        ['nodes', 'asset'],
        ['edges', 'node', 'asset'],
      ]);
      const edges = hits.map((hit) => ({ cursor: searchCursor(hit), node: hit }));
      return {
        edges,
        result: page,
        pageInfo: {
          hasNextPage: more,
          hasPreviousPage: after !== null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),

  searchAssetsPage: t.field({
    type: AssetSearchPageRef,
    description: 'The same search as `searchAssets`, by page number (the page `GET /api/v1/search` serves).',
    authScopes: scopeRule('Query', 'searchAssetsPage'),
    args: {
      q: t.arg.string({ required: true, description: queryDescription, extensions: queryRules }),
      filter: t.arg({ type: AssetSearchFilterInput, required: false }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, args, ctx, info) => {
      const page = resolvePage(args);
      const result = await searchAssets(ctx.db, workspaceOf(ctx), {
        query: args.q,
        queryField: 'q',
        filter: filterOf(args.filter),
        skip: page.skip,
        take: page.perPage,
      });
      return { ...page, result, items: await withAssets(result, ctx, info, [['items', 'asset']]), total: async () => (await result.facets()).total };
    },
  }),
}));
