import { page, type RestRoute } from '../route-table.ts';
import { assetPageSelection, restAsset } from './assets.ts';

/**
 * /assets/{id}/items: a collection's members, in order. Each route answers the page of items asked
 * for with `page`/`per_page` (default the first 20), in the asset list's envelope.
 */
const items = `items(page: $page, perPage: $perPage) { ${assetPageSelection} }`;
const collectionId = { asset_id: 'id' };
const notFound = 'Collection not found';

export const collectionRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/assets/:asset_id/items',
    operationId: 'listCollectionItems',
    tag: 'collections',
    summary: "List a collection's items",
    description: 'The members of a collection asset, in its order; deleted members are left out until restored.',
    operation: `query RestCollectionItems($id: ID!, $page: Int, $perPage: Int) { asset(id: $id) { ... on CollectionAsset { ${items} } } }`,
    params: collectionId,
    answer: page(restAsset, 'asset.items', 'A page of the items.', { notFound }),
  },
  {
    method: 'POST',
    url: '/assets/:asset_id/items',
    operationId: 'addCollectionItems',
    tag: 'collections',
    summary: 'Add items to a collection',
    description:
      'Appends assets of your workspace, in the order given. No asset twice, not the collection itself, nothing that contains the ' +
      'collection (no cycles). Answers the first page of items (or `page`/`per_page`).',
    operation: `mutation RestAddCollectionItems($id: ID!, $assetIds: [ID!]!, $page: Int, $perPage: Int) { addCollectionItems(id: $id, assetIds: $assetIds) { ${items} } }`,
    params: collectionId,
    body: 'variables',
    answer: page(restAsset, 'addCollectionItems.items', 'A page of the items, after the change.', { notFound }),
  },
  {
    method: 'PUT',
    url: '/assets/:asset_id/items/order',
    operationId: 'reorderCollectionItems',
    tag: 'collections',
    summary: "Reorder a collection's items",
    description: '`asset_ids` must name each item (each member that is not deleted) exactly once; they take that order. Deleted members keep their places.',
    operation: `mutation RestReorderCollectionItems($id: ID!, $assetIds: [ID!]!, $page: Int, $perPage: Int) { reorderCollectionItems(id: $id, assetIds: $assetIds) { ${items} } }`,
    params: collectionId,
    body: 'variables',
    answer: page(restAsset, 'reorderCollectionItems.items', 'A page of the items, after the change.', { notFound }),
  },
  {
    method: 'DELETE',
    url: '/assets/:asset_id/items/:member_id',
    operationId: 'removeCollectionItem',
    tag: 'collections',
    summary: 'Remove an item from a collection',
    description: 'The asset itself stays; the other items keep their order.',
    operation: `mutation RestRemoveCollectionItem($id: ID!, $memberId: ID!, $page: Int, $perPage: Int) { removeCollectionItems(id: $id, assetIds: [$memberId]) { ${items} } }`,
    params: { ...collectionId, member_id: 'memberId' },
    answer: page(restAsset, 'removeCollectionItems.items', 'A page of the items, after the change.', { notFound }),
  },
];
