import { assetTypes } from '../../../domain/assets.ts';
import type { SearchFacets } from '../../../domain/search.ts';
import { restEnumValue } from '../../../graphql/enums.ts';
import type { JsonSchema } from '../json-schema.ts';
import { representation } from '../representations.ts';
import { page, type RestRoute } from '../route-table.ts';
import { restAsset } from './assets.ts';

const restHighlight = representation('SearchHighlight', ['field', 'snippet', 'page']);
/** A hit in REST: the contract's asset JSON, plus its score and highlights. */
const restSearchHit = representation('AssetSearchHit', ['score', 'highlights'], { field: 'asset', representation: restAsset }, { highlights: restHighlight });

const counts = (keys: JsonSchema): JsonSchema => ({ type: 'object', propertyNames: keys, additionalProperties: { type: 'integer', minimum: 1 } });

/** `{"asset_type": {"pdf": 12, …}, "library_id": {"<id>": 3, …}}`: counts over every match, not only the page. */
const facets = {
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['asset_type', 'library_id'],
    description: 'Matches of the whole search (not only this page) by asset type, and by library (assets in no library are not counted there).',
    properties: { asset_type: counts({ enum: [...assetTypes] }), library_id: counts({ format: 'uuid' }) },
  },
  toRest: (value: unknown) => {
    const { assetTypes: types, libraries } = value as { assetTypes: { value: string; count: number }[]; libraries: SearchFacets['libraries'] };
    return {
      asset_type: Object.fromEntries(types.map(({ value: type, count }) => [restEnumValue(type), count])),
      library_id: Object.fromEntries(libraries.map(({ libraryId, count }) => [libraryId, count])),
    };
  },
};

export const searchRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/search',
    operationId: 'searchAssets',
    tag: 'assets',
    summary: 'Search assets and the text of their files',
    description:
      'Ranked full-text search of your workspace: titles, descriptions, and the text of PDFs (with the page of each hit) and documents; best ' +
      'first: a title match above a description match above a match in the text, ties by id. `q` reads as a search box does: words, ' +
      '`"a phrase"`, `-excluded`, `or`; the last word also matches as a prefix. When nothing matches, misspelt words are corrected and ' +
      '`fuzzy` says so. Each `highlights` snippet marks the matched words with `<mark>…</mark>`, the rest HTML-escaped. A `q` of only ' +
      'stop words or punctuation finds nothing; `GET /assets?search=` keeps its substring meaning.',
    operation:
      'query RestSearch($q: String!, $assetType: AssetType, $libraryId: ID, $page: Int, $perPage: Int) { ' +
      'searchAssetsPage(q: $q, filter: { assetType: $assetType, libraryId: $libraryId }, page: $page, perPage: $perPage) { ' +
      'page perPage total totalPages fuzzy items { ...RestAssetSearchHit } facets { assetTypes { value count } libraries { libraryId count } } } }',
    answer: page(restSearchHit, 'searchAssetsPage', 'A page of hits, with the counts of the whole result.', {
      beside: {
        facets,
        fuzzy: { schema: { type: 'boolean', description: 'True when these hits match the query with its misspelt words corrected.' }, toRest: Boolean },
      },
    }),
  },
];
