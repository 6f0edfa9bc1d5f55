// The workloads' GraphQL, in one place: run.mjs builds its checked requests from the selections
// and queries here, and profile.mjs and ab.mjs load the servers with the requests below.
import { GET_ID, WORKSPACE_ID } from './seed.mjs';

const gql = (query, variables) => ({ method: 'POST', path: '/graphql', body: JSON.stringify({ query, variables }) });

/** What every read workload selects of an asset, on the gateway and on PostGraphile. */
export const GATEWAY_ITEM = 'id title slug assetType createdAt library { id name }';
export const POSTGRAPHILE_ITEM = 'rowId title slug assetType createdAt libraryByLibraryId { rowId name }';
/** The list and get queries; variables `perPage` and `page` or `first`, and `id`. */
export const GATEWAY_LIST_QUERY = `query($perPage:Int,$page:Int){ assets(perPage:$perPage, page:$page){ items { ${GATEWAY_ITEM} } } }`;
export const GATEWAY_GET_QUERY = `query($id:ID!){ asset(id:$id){ ${GATEWAY_ITEM} } }`;
export const POSTGRAPHILE_GET_QUERY = `query($id:UUID!){ assetByRowId(rowId:$id){ ${POSTGRAPHILE_ITEM} } }`;
export const POSTGRAPHILE_LIST_QUERY = `query($first:Int){ allAssets(first:$first, condition:{workspaceId:"${WORKSPACE_ID}", deletedAt:null}, orderBy:[CREATED_AT_DESC, ROW_ID_DESC]){ nodes { ${POSTGRAPHILE_ITEM} } } }`;

const list = (perPage) => gql(GATEWAY_LIST_QUERY, { perPage, page: 1 });

/** The gateway's workloads; `typical` is a frontend's list that reads fields selected on demand. */
export const gatewayRequests = {
  'list-20': list(20),
  'list-100': list(100),
  get: gql(GATEWAY_GET_QUERY, { id: GET_ID }),
  typical: gql(
    'query($perPage:Int){ assets(perPage:$perPage){ items { id title description assetType createdAt library { name } ... on FileAsset { mimeType fileSize } } } }',
    { perPage: 20 },
  ),
  'rest-list-20': { method: 'GET', path: '/api/v1/assets?per_page=20' },
  'rest-get': { method: 'GET', path: `/api/v1/assets/${GET_ID}` },
};

const pglList = (first) => gql(POSTGRAPHILE_LIST_QUERY, { first });

/** PostGraphile's equivalents of the gateway's list-20, list-100 and get. */
export const postgraphileRequests = {
  'list-20': pglList(20),
  'list-100': pglList(100),
  get: gql(POSTGRAPHILE_GET_QUERY, { id: GET_ID }),
};
