import { representation } from '../representations.ts';
import { one, page, type RestRoute } from '../route-table.ts';
import { assetListArguments, assetListVariables, assetPageSelection, restAsset } from './assets.ts';

/** A library in REST, in the contract's order. */
export const restLibrary = representation('Library', ['id', 'name', 'slug', 'description', 'assetCount', 'createdAt', 'updatedAt']);

const libraryId = { library_id: 'id' };
const notFound = 'Library not found';

export const libraryRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/libraries',
    operationId: 'listLibraries',
    tag: 'libraries',
    summary: 'List libraries',
    description: 'A page of the libraries of your workspace, by name.',
    operation:
      'query RestListLibraries($page: Int, $perPage: Int) { libraries(page: $page, perPage: $perPage) { page perPage total totalPages items { ...RestLibrary } } }',
    answer: page(restLibrary, 'libraries', 'A page of libraries.'),
  },
  {
    method: 'POST',
    url: '/libraries',
    operationId: 'createLibrary',
    tag: 'libraries',
    summary: 'Create a library',
    description: 'The slug comes from the name, unique among your libraries.',
    operation:
      'mutation RestCreateLibrary($input: CreateLibraryInput!, $idempotencyKey: String) { createLibrary(input: $input, idempotencyKey: $idempotencyKey) { ...RestLibrary } }',
    body: 'input',
    answer: one(restLibrary, 'createLibrary', 'The new library.', { status: 201 }),
  },
  {
    method: 'GET',
    url: '/libraries/:library_id',
    operationId: 'getLibrary',
    tag: 'libraries',
    summary: 'Get one library',
    operation: 'query RestGetLibrary($id: ID!) { library(id: $id) { ...RestLibrary } }',
    params: libraryId,
    answer: one(restLibrary, 'library', 'The library.', { notFound }),
  },
  {
    method: 'PATCH',
    url: '/libraries/:library_id',
    operationId: 'updateLibrary',
    tag: 'libraries',
    summary: 'Update a library',
    description: 'A partial update; the slug stays as it was.',
    operation: 'mutation RestUpdateLibrary($id: ID!, $input: UpdateLibraryInput!) { updateLibrary(id: $id, input: $input) { ...RestLibrary } }',
    params: libraryId,
    body: 'input',
    answer: one(restLibrary, 'updateLibrary', 'The library as it is now.', { notFound }),
  },
  {
    method: 'DELETE',
    url: '/libraries/:library_id',
    operationId: 'deleteLibrary',
    tag: 'libraries',
    summary: 'Delete a library',
    description: 'Deletes the library for good; its assets stay, in no library. Answers the library as it was, with `asset_count` 0 (its assets have left it).',
    operation: 'mutation RestDeleteLibrary($id: ID!) { deleteLibrary(id: $id) { ...RestLibrary } }',
    params: libraryId,
    answer: one(restLibrary, 'deleteLibrary', 'The library that was deleted.', { notFound }),
  },
  {
    method: 'GET',
    url: '/libraries/:library_id/assets',
    operationId: 'listLibraryAssets',
    tag: 'libraries',
    summary: "List a library's assets",
    description: 'The parameters and envelope of `GET /assets`.',
    operation: `query RestLibraryAssets($id: ID!, ${assetListVariables}) { library(id: $id) { assets(${assetListArguments}) { ${assetPageSelection} } } }`,
    params: libraryId,
    answer: page(restAsset, 'library.assets', "A page of the library's assets.", { notFound }),
  },
];
