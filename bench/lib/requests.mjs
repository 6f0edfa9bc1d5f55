// The requests profile.mjs and ab.mjs load the servers with (run.mjs, which also checks the
// answers, keeps its own table beside the checks). Same fields as run.mjs's workloads.
import { GET_ID, WORKSPACE_ID } from './seed.mjs';

const gql = (query, variables) => ({ method: 'POST', path: '/graphql', body: JSON.stringify({ query, variables }) });

const item = 'id title slug assetType createdAt library { id name }';
const list = (perPage) => gql(`query($perPage:Int,$page:Int){ assets(perPage:$perPage, page:$page){ items { ${item} } } }`, { perPage, page: 1 });

/** The gateway's workloads; `typical` is a frontend's list that reads fields selected on demand. */
export const gatewayRequests = {
  'list-20': list(20),
  'list-100': list(100),
  get: gql(`query($id:UUID!){ asset(id:$id){ ${item} } }`, { id: GET_ID }),
  typical: gql('query($perPage:Int){ assets(perPage:$perPage){ items { id title description assetType createdAt library { name } ... on FileAsset { mimeType fileSize } } } }', { perPage: 20 }),
  'rest-list-20': { method: 'GET', path: '/api/v1/assets?per_page=20' },
  'rest-get': { method: 'GET', path: `/api/v1/assets/${GET_ID}` },
};

const pglItem = 'rowId title slug assetType createdAt libraryByLibraryId { rowId name }';
const pglList = (first) =>
  gql(`query($first:Int){ allAssets(first:$first, condition:{workspaceId:"${WORKSPACE_ID}", deletedAt:null}, orderBy:[CREATED_AT_DESC, ROW_ID_DESC]){ nodes { ${pglItem} } } }`, { first });

/** PostGraphile's equivalents of the gateway's list-20, list-100 and get. */
export const postgraphileRequests = {
  'list-20': pglList(20),
  'list-100': pglList(100),
  get: gql(`query($id:UUID!){ assetByRowId(rowId:$id){ ${pglItem} } }`, { id: GET_ID }),
};
