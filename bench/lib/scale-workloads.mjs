// The workloads of `npm run bench:scale` (scale.mjs measures them, explain.mjs shows their plans).
import { COMMON_WORD, RARE_WORD, SCALE_WORKSPACE_ID } from './scale-seed.mjs';

/** The page of 20 half-way down a workspace of `assets`: page 25 000 at a million (offset 500 000). */
export const deepPageFor = (assets) => Math.floor(assets / 2 / 20);

export const post = (query, variables, auth) => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
  body: JSON.stringify({ query, variables }),
});
const GW_ITEM = 'id title assetType createdAt';
const PGL_ITEM = 'rowId title assetType createdAt';
const restIds = (j) => j.data.map((a) => a.id);
const gwPageIds = (j) => j.data.assets.items.map((a) => a.id);
const pglNodes = (field) => (j) => j.data[field].nodes.map((a) => a.rowId);
export const condition = `condition: { workspaceId: "${SCALE_WORKSPACE_ID}", deletedAt: null }`;

/** Each workload: its target (ms, p50), the gateway's REST and GraphQL requests and PostGraphile's. */
export function workloads(key, deepCursors, deepPage) {
  const rest = (query) => ({ method: 'GET', path: `/api/v1/assets?${query}`, headers: { authorization: `Bearer ${key}` }, ids: restIds });
  const gw = (args) => ({ ...post(`{ assets(${args}) { total items { ${GW_ITEM} } } }`, undefined, key), ids: gwPageIds });
  return [
    {
      name: 'list page 1 (20, with total)',
      target: 5,
      peer: false,
      rest: rest('per_page=20'),
      graphql: gw('perPage: 20'),
      postgraphile: {
        ...post(`{ allAssets(first: 20, ${condition}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { totalCount nodes { ${PGL_ITEM} } } }`),
        ids: pglNodes('allAssets'),
      },
    },
    {
      name: `page ${deepPage} of 20 (offset ${(deepPage - 1) * 20}), with total`,
      target: 50,
      peer: true,
      rest: rest(`page=${deepPage}&per_page=20`),
      graphql: gw(`page: ${deepPage}, perPage: 20`),
      postgraphile: {
        ...post(
          `{ allAssets(first: 20, offset: ${(deepPage - 1) * 20}, ${condition}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { totalCount nodes { ${PGL_ITEM} } } }`,
        ),
        ids: pglNodes('allAssets'),
      },
    },
    {
      name: `connection, 20 after a cursor ${(deepPage - 1) * 20} deep`,
      target: 5,
      peer: false,
      graphql: {
        ...post(`query($after: String) { assetsConnection(first: 20, after: $after) { edges { node { ${GW_ITEM} } } } }`, { after: deepCursors.gateway }, key),
        ids: (j) => j.data.assetsConnection.edges.map((e) => e.node.id),
      },
      postgraphile: {
        ...post(
          `query($after: Cursor) { allAssets(first: 20, after: $after, ${condition}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { nodes { ${PGL_ITEM} } } }`,
          { after: deepCursors.postgraphile },
        ),
        ids: pglNodes('allAssets'),
      },
    },
    {
      name: `search, rare word "${RARE_WORD}", with total`,
      target: 20,
      peer: false,
      rest: rest(`search=${RARE_WORD}`),
      graphql: gw(`filter: { search: "${RARE_WORD}" }`),
      postgraphile: {
        ...post(`{ benchPgSearchVisible(ws: "${SCALE_WORKSPACE_ID}", term: "${RARE_WORD}", first: 20) { totalCount nodes { ${PGL_ITEM} } } }`),
        ids: pglNodes('benchPgSearchVisible'),
      },
    },
    {
      name: `search, common word "${COMMON_WORD}" (~10 %), page 1 with total`,
      target: 200,
      peer: true,
      rest: rest(`search=${COMMON_WORD}`),
      graphql: gw(`filter: { search: "${COMMON_WORD}" }`),
      postgraphile: {
        ...post(`{ benchPgSearchVisible(ws: "${SCALE_WORKSPACE_ID}", term: "${COMMON_WORD}", first: 20) { totalCount nodes { ${PGL_ITEM} } } }`),
        ids: pglNodes('benchPgSearchVisible'),
      },
    },
    {
      name: 'asset_type=pdf, sort by title, page 1 with total',
      target: 10,
      peer: false,
      rest: rest('asset_type=pdf&sort=title&order=asc'),
      graphql: gw('filter: { assetType: PDF }, sort: TITLE, order: ASC'),
      postgraphile: {
        ...post(
          `{ allAssets(first: 20, condition: { workspaceId: "${SCALE_WORKSPACE_ID}", deletedAt: null, assetType: pdf }, orderBy: [TITLE_ASC, ROW_ID_ASC]) { totalCount nodes { ${PGL_ITEM} } } }`,
        ),
        ids: pglNodes('allAssets'),
      },
    },
  ];
}
