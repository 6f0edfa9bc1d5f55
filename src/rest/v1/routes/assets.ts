import { storeUnavailable } from '../errors.ts';
import { representation } from '../representations.ts';
import { one, page, type RestRoute } from '../route-table.ts';

/** An image's or a PDF's placeholder (src/domain/files/placeholders.ts); its `data_url` is GraphQL's alone (a REST client decodes the ThumbHash itself). */
const restPlaceholder = representation('ImagePlaceholder', ['thumbhash', 'dominantColor']);

/** An asset in REST: every field of every asset type, null where its type has none, in the contract's order. */
export const restAsset = representation(
  'Asset',
  [
    'id',
    'title',
    'slug',
    'description',
    'assetType',
    'filePath',
    'fileSize',
    'mimeType',
    'checksumSha256',
    'thumbnailPath',
    'pageCount',
    'wordCount',
    'width',
    'height',
    'durationSeconds',
    'externalUrl',
    'videoEmbed',
    'downloadCount',
    'isPublic',
    'libraryId',
    'createdAt',
    'updatedAt',
    'placeholder',
  ],
  undefined,
  { placeholder: restPlaceholder },
);

/** The asset list's variables (GET /assets, GET /libraries/{id}/assets): each a query parameter. */
export const assetListVariables = '$page: Int, $perPage: Int, $assetType: AssetType, $search: String, $sort: AssetSort, $order: SortOrder';
export const assetListArguments = 'page: $page, perPage: $perPage, filter: { assetType: $assetType, search: $search }, sort: $sort, order: $order';
export const assetPageSelection = 'page perPage total totalPages items { ...RestAsset }';

const assetId = { asset_id: 'id' };
const notFound = 'Asset not found';

export const assetRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/assets',
    operationId: 'listAssets',
    tag: 'assets',
    summary: 'List assets',
    description: 'A page of the assets of your workspace (every asset that is not deleted).',
    operation: `query RestListAssets(${assetListVariables}) { assets(${assetListArguments}) { ${assetPageSelection} } }`,
    answer: page(restAsset, 'assets', 'A page of assets.'),
  },
  {
    method: 'POST',
    url: '/assets',
    operationId: 'createAsset',
    tag: 'assets',
    summary: 'Create an asset',
    description: 'Read-only fields in the body (`id`, `slug`, `download_count` …) are ignored. `library_id` puts the asset in a library of your workspace.',
    operation:
      'mutation RestCreateAsset($input: CreateAssetInput!, $idempotencyKey: String) { createAsset(input: $input, idempotencyKey: $idempotencyKey) { ...RestAsset } }',
    body: 'input',
    answer: one(restAsset, 'createAsset', 'The new asset.', { status: 201 }),
    // A create from an upload reads its file.
    errors: { 503: storeUnavailable },
  },
  {
    method: 'GET',
    url: '/assets/:asset_id',
    operationId: 'getAsset',
    tag: 'assets',
    summary: 'Get one asset',
    operation: 'query RestGetAsset($id: ID!) { asset(id: $id) { ...RestAsset } }',
    params: assetId,
    answer: one(restAsset, 'asset', 'The asset.', { notFound }),
  },
  {
    method: 'PATCH',
    url: '/assets/:asset_id',
    operationId: 'updateAsset',
    tag: 'assets',
    summary: 'Update an asset',
    description:
      'A partial update: absent fields keep their value, `null` clears one, and the result must pass the create rules (a new ' +
      '`external_url` re-derives `video_embed`). The slug stays as it was. `asset_type` cannot change (only the current type ' +
      'is accepted) and neither can `file_path` (create a new asset to change its file). `library_id` joins a library of your ' +
      'workspace; `null` leaves it. Read-only fields are ignored.',
    operation: 'mutation RestUpdateAsset($id: ID!, $input: UpdateAssetInput!) { updateAsset(id: $id, input: $input) { ...RestAsset } }',
    params: assetId,
    body: 'input',
    answer: one(restAsset, 'updateAsset', 'The asset as it is now.', { notFound }),
  },
  {
    // 200 with the asset as deleted (not 204): a client can show what went and offer to restore it.
    method: 'DELETE',
    url: '/assets/:asset_id',
    operationId: 'deleteAsset',
    tag: 'assets',
    summary: 'Delete an asset',
    description: 'A soft delete: the asset leaves every list at once, and `POST /assets/{asset_id}/restore` brings it back. Deleting it again answers 404.',
    operation: 'mutation RestDeleteAsset($id: ID!) { deleteAsset(id: $id) { ...RestAsset } }',
    params: assetId,
    answer: one(restAsset, 'deleteAsset', 'The asset, as it was when deleted.', { notFound }),
  },
  {
    method: 'POST',
    url: '/assets/:asset_id/restore',
    operationId: 'restoreAsset',
    tag: 'assets',
    summary: 'Restore a deleted asset',
    description: 'The asset comes back with its slug; an asset that is not deleted is answered unchanged.',
    operation: 'mutation RestRestoreAsset($id: ID!) { restoreAsset(id: $id) { ...RestAsset } }',
    params: assetId,
    answer: one(restAsset, 'restoreAsset', 'The asset, restored.', { notFound }),
  },
];
