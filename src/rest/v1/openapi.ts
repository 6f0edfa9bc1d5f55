import { assetSorts, assetTypes, defaultPerPage, maxPerPage, maxTitleLength, sortOrders } from '../../domain/assets.ts';
import { maxCollectionItems } from '../../domain/collections.ts';
import { maxLibraryNameLength } from '../../domain/libraries.ts';
import { allScopes } from '../../auth/scopes.ts';
import { maxKeyNameLength } from '../../domain/api-keys.ts';
import { idempotencyKeyRule } from '../../domain/idempotency.ts';
import { restErrors } from './errors.ts';

/**
 * The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json and rendered at
 * /api/v1/docs. Tests validate the document and every REST response against it.
 */
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });

const errorResponse = (status: keyof typeof restErrors, description: string, example: string) => ({
  description,
  content: {
    'application/json': {
      schema: { $ref: status === 400 ? '#/components/schemas/ValidationError' : '#/components/schemas/Error' },
      example: { error: restErrors[status], message: example },
    },
  },
});

const responses = {
  400: errorResponse(400, 'A parameter or body field is invalid (`field` names it), or the body is not valid JSON.', 'Title is required'),
  401: errorResponse(
    401,
    'No key, or an unknown, revoked or expired key (the same answer for all).',
    'A valid API key is required (Authorization: Bearer <key>)',
  ),
  403: errorResponse(403, 'The key lacks the scope the route needs.', 'API key does not have write:assets scope'),
  404: errorResponse(404, 'No such asset in your workspace (also for a malformed id).', 'Asset not found'),
  413: errorResponse(413, 'The body is larger than the limit (BODY_LIMIT_BYTES, default 1 MiB).', 'Request body is larger than 1048576 bytes'),
  415: errorResponse(415, 'The body is not sent as application/json.', 'Content-Type must be application/json'),
  408: errorResponse(
    408,
    'The body did not arrive within BODY_TIMEOUT_MS (default 10 s); the connection is closed.',
    'The request body did not arrive within 10000 ms',
  ),
  414: errorResponse(414, 'A path parameter is longer than the router accepts (100 characters).', 'The URL path is too long'),
  429: errorResponse(
    429,
    'Rate limit exceeded (RATE_LIMIT_PER_MINUTE per key, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE per IP without a valid key). `Retry-After` says when to retry; every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.',
    'Rate limit of 1200 requests per minute exceeded; retry in 42 s',
  ),
  500: errorResponse(500, 'Something went wrong on our side; never with internals.', 'An unexpected error occurred'),
};

/** The Idempotency-Key header of the creates (README: Retrying a create safely). */
const idempotencyKey = (noun: string) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, ...idempotencyKeyRule },
  description:
    `Makes a retry safe: the same key with the same body answers 201 with the ${noun} the first request created, never a ` +
    'second one (also after a crash, if the first was committed). The key with another body answers 400 (`field` ' +
    `\`Idempotency-Key\`); while the first request is still running, 409. Keys are unique per workspace and kept as long as the ${noun}.`,
});
const idempotencyConflict = (whenDeleted: string) =>
  errorResponse(
    409,
    `A request with the same Idempotency-Key is still in progress${whenDeleted}.`,
    'A request with this idempotency key is still in progress; retry once it has finished',
  );
const libraryNotFound = errorResponse(404, 'No such library in your workspace (also for a malformed id).', 'Library not found');
const collectionNotFound = errorResponse(404, 'No such collection (an asset of type collection) in your workspace.', 'Collection not found');

const pageParameters = [
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 }, description: 'Page number' },
  {
    name: 'per_page',
    in: 'query',
    schema: { type: 'integer', minimum: 1, default: defaultPerPage },
    description: `Results per page (max: ${maxPerPage}; larger values are clamped to ${maxPerPage})`,
  },
];

const assetListParameters = [
  ...pageParameters,
  { name: 'asset_type', in: 'query', schema: { type: 'string', enum: assetTypes }, description: 'Filter by type' },
  {
    name: 'search',
    in: 'query',
    schema: { type: 'string' },
    description: 'Case-insensitive substring of the title or description; every character is literal',
  },
  { name: 'sort', in: 'query', schema: { type: 'string', enum: Object.keys(assetSorts), default: 'created_at' }, description: 'Sort by (ties by id)' },
  { name: 'order', in: 'query', schema: { type: 'string', enum: sortOrders, default: 'desc' }, description: 'Sort order' },
];

const assetId = { name: 'asset_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const libraryId = { name: 'library_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const json = (ref: string, description: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const jsonBody = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const readErrors = { 400: responses[400], 401: responses[401], 403: responses[403], 429: responses[429], 500: responses[500] };
const writeErrors = { ...readErrors, 408: responses[408], 413: responses[413], 415: responses[415] };

const binaryHeaders = {
  'Content-Length': { schema: { type: 'integer' }, description: 'Bytes in this response.' },
  ETag: { schema: { type: 'string' }, description: "The file's SHA-256 in quotes (strong validator; If-None-Match and If-Range use it)." },
  'Accept-Ranges': { schema: { const: 'bytes' } },
  'Content-Disposition': { schema: { type: 'string' }, description: "The uploaded file's name, RFC 6266 with an RFC 5987 `filename*` for non-ASCII names." },
};
const binaryContent = { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };

/** GET (and HEAD) of an asset's file or thumbnail: the same access rule and headers. */
function binaryRoute(what: 'file' | 'thumbnail', operationId: string, head: boolean) {
  const counted = what === 'file' ? ' A GET answered 200 adds one to `download_count` (atomically); HEAD, 304 and 206 do not.' : '';
  const answers: Record<string, unknown> = {
    200: {
      description: `The ${what === 'file' ? 'file' : 'thumbnail (WebP, 320 px wide)'}, with its Content-Type.`,
      headers: binaryHeaders,
      ...(head ? {} : { content: binaryContent }),
    },
    206: {
      description: 'One byte range (Range: bytes=first-last, first-, -suffix). Several ranges are answered with the whole file (200).',
      headers: { ...binaryHeaders, 'Content-Range': { schema: { type: 'string' }, description: 'bytes first-last/size' } },
      ...(head ? {} : { content: binaryContent }),
    },
    304: { description: 'If-None-Match matched the ETag.' },
    401: { ...responses[401], description: 'The asset is not public and no key was sent, or the key sent is not valid.' },
    403: { ...responses[403], description: "A key of the asset's workspace without read:assets, for an asset that is not public." },
    404: {
      ...responses[404],
      description: `No such asset${what === 'thumbnail' ? ' or no thumbnail' : ' or no file'}, or a private asset of another workspace.`,
    },
    416: {
      description: 'No byte of the file is in the range; Content-Range says `bytes */size`.',
      ...(head ? {} : { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }),
    },
    500: responses[500],
  };
  return {
    operationId,
    summary: `${head ? 'Headers of' : 'Download'} an asset's ${what}`,
    description: "Public assets (`is_public`) need no key. Otherwise a key of the asset's workspace with `read:assets`." + counted,
    security: [{}, { apiKey: [] }],
    parameters: [assetId],
    responses: answers,
  };
}

const apiKeyProperties = {
  prefix: { type: 'string', description: 'Public; names the key.' },
  name: { type: 'string' },
  scopes: { type: 'array', items: { type: 'string', enum: allScopes } },
  created_at: { type: 'string', format: 'date-time' },
  last_used_at: nullable('string', { format: 'date-time', description: 'Recorded at most once a minute per process.' }),
  expires_at: nullable('string', { format: 'date-time' }),
  revoked_at: nullable('string', { format: 'date-time' }),
};

/** `{ success: true, data: <schema> }`, and the list envelope with the contract's pagination. */
const envelopeOf = (name: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['success', 'data'],
  properties: { success: { const: true }, data: { $ref: `#/components/schemas/${name}` } },
});
const pageOf = (name: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['success', 'data', 'pagination'],
  properties: {
    success: { const: true },
    data: { type: 'array', items: { $ref: `#/components/schemas/${name}` } },
    pagination: { $ref: '#/components/schemas/Pagination' },
  },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Assets API',
    version: '1.0.0',
    description:
      'List, create and manage digital assets. Every route needs `Authorization: Bearer <key>`; ' +
      'keys carry scopes (`read:assets`, `write:assets`, `read:libraries`, `write:libraries`). The same data is served over GraphQL at /graphql.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ apiKey: [] }],
  paths: {
    '/assets': {
      get: {
        operationId: 'listAssets',
        summary: 'List assets',
        description: 'A page of the assets of your workspace (every asset that is not deleted). Required scope: `read:assets`.',
        parameters: assetListParameters,
        responses: {
          200: {
            description: 'A page of assets.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AssetList' } } },
          },
          400: responses[400],
          401: responses[401],
          403: responses[403],
          429: responses[429],
          500: responses[500],
        },
      },
      post: {
        operationId: 'createAsset',
        summary: 'Create an asset',
        description:
          'Required scope: `write:assets`. Read-only fields in the body (`id`, `slug`, `download_count` …) are ignored. ' +
          '`library_id` puts the asset in a library of your workspace.',
        parameters: [idempotencyKey('asset')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateAsset' } } },
        },
        responses: {
          201: {
            description: 'The new asset.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AssetEnvelope' } } },
          },
          400: responses[400],
          401: responses[401],
          403: responses[403],
          408: responses[408],
          409: idempotencyConflict(', or the asset it created has been deleted since'),
          413: responses[413],
          415: responses[415],
          429: responses[429],
          500: responses[500],
        },
      },
    },
    '/uploads': {
      post: {
        operationId: 'uploadFile',
        summary: 'Upload a file',
        description:
          'Required scope: `write:assets`. Streams the file to storage; its type is sniffed from its bytes (the file name and ' +
          'declared type are not trusted), its size and SHA-256 measured. Pass the `file_path` to `POST /assets` within ' +
          'UPLOAD_TTL_HOURS (default 24); uploads never attached are deleted after that.',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            },
          },
        },
        responses: {
          201: { description: 'The stored file.', content: { 'application/json': { schema: { $ref: '#/components/schemas/UploadEnvelope' } } } },
          400: { ...responses[400], description: 'No part named `file`, an empty file, or an upload cut short (`field`: `file`).' },
          401: responses[401],
          403: responses[403],
          408: { ...responses[408], description: 'The file did not arrive within UPLOAD_BODY_TIMEOUT_MS (default 30 min).' },
          413: { ...responses[413], description: 'The file is larger than UPLOAD_LIMIT_BYTES (default 100 MiB).' },
          415: { ...responses[415], description: 'The body is not multipart/form-data.' },
          429: responses[429],
          500: responses[500],
        },
      },
    },
    '/assets/{asset_id}/download': { get: binaryRoute('file', 'downloadAsset', false), head: binaryRoute('file', 'downloadAssetHead', true) },
    '/assets/{asset_id}/thumbnail': { get: binaryRoute('thumbnail', 'assetThumbnail', false), head: binaryRoute('thumbnail', 'assetThumbnailHead', true) },
    '/assets/{asset_id}': {
      get: {
        operationId: 'getAsset',
        summary: 'Get one asset',
        description: 'Required scope: `read:assets`.',
        parameters: [{ name: 'asset_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          200: {
            description: 'The asset.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AssetEnvelope' } } },
          },
          400: errorResponse(400, 'The URL does not decode (malformed percent-encoding).', 'The URL is malformed'),
          401: responses[401],
          403: responses[403],
          404: responses[404],
          414: responses[414],
          429: responses[429],
          500: responses[500],
        },
      },
      patch: {
        operationId: 'updateAsset',
        summary: 'Update an asset',
        description:
          'Required scope: `write:assets`. A partial update: absent fields keep their value, `null` clears one, and the ' +
          'result must pass the create rules (a new `external_url` re-derives `video_embed`). The slug stays as it was. ' +
          '`asset_type` cannot change (only the current type is accepted) and neither can `file_path` (create a new asset ' +
          'to change its file). `library_id` joins a library of your workspace; `null` leaves it. Read-only fields are ignored.',
        parameters: [assetId],
        requestBody: jsonBody('UpdateAsset'),
        responses: { 200: json('AssetEnvelope', 'The asset as it is now.'), ...writeErrors, 404: responses[404] },
      },
      delete: {
        operationId: 'deleteAsset',
        summary: 'Delete an asset',
        description:
          'Required scope: `write:assets`. A soft delete: the asset leaves every list, total, lookup, library and collection at ' +
          'once, and `POST /assets/{asset_id}/restore` brings it back. Answers the asset as deleted; deleting it again is a 404.',
        parameters: [assetId],
        responses: { 200: json('AssetEnvelope', 'The asset that was deleted.'), ...readErrors, 404: responses[404] },
      },
    },
    '/keys': {
      get: {
        operationId: 'listKeys',
        summary: 'List API keys',
        description: 'The keys of your workspace, revoked ones included; never their secrets. Required scope: `admin:keys`.',
        responses: {
          200: { description: 'The keys.', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiKeyList' } } } },
          401: responses[401],
          403: errorResponse(403, 'The key lacks the scope the route needs.', 'API key does not have admin:keys scope'),
          429: responses[429],
          500: responses[500],
        },
      },
      post: {
        operationId: 'createKey',
        summary: 'Create an API key',
        description: 'A key of your workspace with scopes the calling key holds. The whole key (`key`) is in this answer only. Required scope: `admin:keys`.',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateApiKey' } } } },
        responses: {
          201: {
            description: 'The new key, with its secret.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreatedApiKeyEnvelope' } } },
          },
          400: responses[400],
          401: responses[401],
          403: errorResponse(403, 'The key lacks the scope the route needs.', 'API key does not have admin:keys scope'),
          408: responses[408],
          413: responses[413],
          415: responses[415],
          429: responses[429],
          500: responses[500],
        },
      },
    },
    '/keys/{prefix}/revoke': {
      post: {
        operationId: 'revokeKey',
        summary: 'Revoke an API key',
        description: 'The key stops working on the next request (on every gateway process sharing Redis). Required scope: `admin:keys`.',
        parameters: [{ name: 'prefix', in: 'path', required: true, schema: { type: 'string' }, description: 'The public prefix, `agk_` and 12 characters.' }],
        responses: {
          200: { description: 'The revoked key.', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiKeyEnvelope' } } } },
          401: responses[401],
          403: errorResponse(403, 'The key lacks the scope the route needs.', 'API key does not have admin:keys scope'),
          404: errorResponse(404, 'No key with that prefix in your workspace.', 'API key not found'),
          414: responses[414],
          429: responses[429],
          500: responses[500],
        },
      },
    },
    '/assets/{asset_id}/restore': {
      post: {
        operationId: 'restoreAsset',
        summary: 'Restore a deleted asset',
        description: 'Required scope: `write:assets`. The asset comes back with its slug; an asset that is not deleted is answered unchanged.',
        parameters: [assetId],
        responses: { 200: json('AssetEnvelope', 'The asset, restored.'), ...readErrors, 404: responses[404] },
      },
    },
    '/assets/{asset_id}/items': {
      get: {
        operationId: 'listCollectionItems',
        summary: "List a collection's items",
        description: 'Required scope: `read:assets`. The members of a collection asset, in its order; deleted members are left out until restored.',
        parameters: [assetId, ...pageParameters],
        responses: { 200: json('AssetList', 'A page of the items.'), ...readErrors, 404: collectionNotFound },
      },
      post: {
        operationId: 'addCollectionItems',
        summary: 'Add items to a collection',
        description:
          'Required scope: `write:assets`. Appends assets of your workspace, in the order given. No asset twice, not the ' +
          'collection itself, nothing that contains the collection (no cycles). Answers the first page of items (or `page`/`per_page`).',
        parameters: [assetId, ...pageParameters],
        requestBody: jsonBody('CollectionItems'),
        responses: { 200: json('AssetList', 'A page of the items, after the change.'), ...writeErrors, 404: collectionNotFound },
      },
    },
    '/assets/{asset_id}/items/order': {
      put: {
        operationId: 'reorderCollectionItems',
        summary: "Reorder a collection's items",
        description:
          'Required scope: `write:assets`. `asset_ids` must name each item (each member that is not deleted) exactly once; ' +
          'they take that order. Deleted members keep their places.',
        parameters: [assetId, ...pageParameters],
        requestBody: jsonBody('CollectionItems'),
        responses: { 200: json('AssetList', 'A page of the items, after the change.'), ...writeErrors, 404: collectionNotFound },
      },
    },
    '/assets/{asset_id}/items/{member_id}': {
      delete: {
        operationId: 'removeCollectionItem',
        summary: 'Remove an item from a collection',
        description: 'Required scope: `write:assets`. The asset itself stays; the other items keep their order.',
        parameters: [assetId, { name: 'member_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }, ...pageParameters],
        responses: { 200: json('AssetList', 'A page of the items, after the change.'), ...readErrors, 404: collectionNotFound },
      },
    },
    '/libraries': {
      get: {
        operationId: 'listLibraries',
        summary: 'List libraries',
        description: 'Required scope: `read:libraries`. A page of the libraries of your workspace, by name.',
        parameters: pageParameters,
        responses: { 200: json('LibraryList', 'A page of libraries.'), ...readErrors },
      },
      post: {
        operationId: 'createLibrary',
        summary: 'Create a library',
        description: 'Required scope: `write:libraries`. The slug comes from the name, unique among your libraries.',
        parameters: [idempotencyKey('library')],
        requestBody: jsonBody('CreateLibrary'),
        responses: { 201: json('LibraryEnvelope', 'The new library.'), ...writeErrors, 409: idempotencyConflict('') },
      },
    },
    '/libraries/{library_id}': {
      get: {
        operationId: 'getLibrary',
        summary: 'Get one library',
        description: 'Required scope: `read:libraries`.',
        parameters: [libraryId],
        responses: { 200: json('LibraryEnvelope', 'The library.'), ...readErrors, 404: libraryNotFound },
      },
      patch: {
        operationId: 'updateLibrary',
        summary: 'Update a library',
        description: 'Required scope: `write:libraries`. A partial update; the slug stays as it was.',
        parameters: [libraryId],
        requestBody: jsonBody('UpdateLibrary'),
        responses: { 200: json('LibraryEnvelope', 'The library as it is now.'), ...writeErrors, 404: libraryNotFound },
      },
      delete: {
        operationId: 'deleteLibrary',
        summary: 'Delete a library',
        description:
          'Required scope: `write:libraries`. Deletes the library for good; its assets stay, in no library. Answers the library as it was, with `asset_count` 0 (its assets have left it).',
        parameters: [libraryId],
        responses: { 200: json('LibraryEnvelope', 'The library that was deleted.'), ...readErrors, 404: libraryNotFound },
      },
    },
    '/libraries/{library_id}/assets': {
      get: {
        operationId: 'listLibraryAssets',
        summary: "List a library's assets",
        description: 'Required scopes: `read:libraries` and `read:assets`. The parameters and envelope of `GET /assets`.',
        parameters: [libraryId, ...assetListParameters],
        responses: { 200: json('AssetList', "A page of the library's assets."), ...readErrors, 404: libraryNotFound },
      },
    },
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer agk_…`' },
    },
    schemas: {
      Asset: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'title',
          'slug',
          'description',
          'asset_type',
          'file_path',
          'file_size',
          'mime_type',
          'checksum_sha256',
          'thumbnail_path',
          'page_count',
          'word_count',
          'width',
          'height',
          'duration_seconds',
          'external_url',
          'video_embed',
          'download_count',
          'is_public',
          'library_id',
          'created_at',
          'updated_at',
        ],
        properties: {
          id: { type: 'string', format: 'uuid' },
          title: { type: 'string', maxLength: maxTitleLength },
          slug: { type: 'string', description: 'Unique in the workspace, derived from the title.' },
          description: nullable('string'),
          asset_type: { type: 'string', enum: assetTypes },
          file_path: nullable('string'),
          file_size: nullable('integer', { minimum: 0, description: 'Bytes.' }),
          mime_type: nullable('string'),
          checksum_sha256: nullable('string'),
          thumbnail_path: nullable('string'),
          page_count: nullable('integer'),
          word_count: nullable('integer'),
          width: nullable('integer'),
          height: nullable('integer'),
          duration_seconds: nullable('number'),
          external_url: nullable('string', { format: 'uri' }),
          video_embed: nullable('string', { format: 'uri', description: 'Derived for YouTube and Vimeo.' }),
          download_count: { type: 'integer', minimum: 0 },
          is_public: { type: 'boolean' },
          library_id: nullable('string', { format: 'uuid', description: 'The library the asset is in, or null.' }),
          created_at: { type: 'string', format: 'date-time' },
          updated_at: { type: 'string', format: 'date-time' },
        },
      },
      CreateAsset: {
        type: 'object',
        required: ['title', 'asset_type'],
        properties: {
          title: { type: 'string', minLength: 1, maxLength: maxTitleLength, description: `Asset title (max ${maxTitleLength} chars), trimmed` },
          description: { type: ['string', 'null'] },
          asset_type: { type: 'string', enum: assetTypes },
          external_url: { type: ['string', 'null'], format: 'uri', description: 'Absolute http(s) URL; required for external_video and link' },
          is_public: { type: ['boolean', 'null'], default: false },
          file_path: {
            type: ['string', 'null'],
            description:
              'The `file_path` of an upload to your workspace (POST /uploads) not yet attached to an asset; its type must fit ' +
              '`asset_type`. file_size, mime_type, checksum_sha256, thumbnail_path and the metadata are read from the file.',
          },
          library_id: { type: ['string', 'null'], format: 'uuid', description: 'A library of your workspace to join' },
        },
      },
      UpdateAsset: {
        type: 'object',
        description: 'Every field optional; absent keeps the value, null clears it.',
        properties: {
          title: { type: 'string', minLength: 1, maxLength: maxTitleLength },
          description: { type: ['string', 'null'] },
          asset_type: { type: 'string', enum: assetTypes, description: 'Cannot change: only the current type is accepted' },
          external_url: { type: ['string', 'null'], format: 'uri' },
          is_public: { type: ['boolean', 'null'] },
          library_id: { type: ['string', 'null'], format: 'uuid', description: 'A library of your workspace to join; null leaves it' },
        },
      },
      CollectionItems: {
        type: 'object',
        required: ['asset_ids'],
        properties: { asset_ids: { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, maxItems: maxCollectionItems, uniqueItems: true } },
      },
      Library: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'slug', 'description', 'asset_count', 'created_at', 'updated_at'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          name: { type: 'string', maxLength: maxLibraryNameLength },
          slug: { type: 'string', description: "Unique among the workspace's libraries, derived from the name at creation." },
          description: nullable('string'),
          asset_count: { type: 'integer', minimum: 0, description: 'Assets (not deleted) in the library.' },
          created_at: { type: 'string', format: 'date-time' },
          updated_at: { type: 'string', format: 'date-time' },
        },
      },
      CreateLibrary: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: maxLibraryNameLength, description: 'Trimmed' },
          description: { type: ['string', 'null'] },
        },
      },
      UpdateLibrary: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: maxLibraryNameLength },
          description: { type: ['string', 'null'] },
        },
      },
      LibraryEnvelope: envelopeOf('Library'),
      LibraryList: pageOf('Library'),
      UploadEnvelope: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data'],
        properties: {
          success: { const: true },
          data: {
            type: 'object',
            additionalProperties: false,
            required: ['file_path', 'file_size', 'mime_type', 'checksum_sha256'],
            properties: {
              file_path: { type: 'string', pattern: '^/uploads/[0-9a-f-]{36}\\.[a-z0-9]+$' },
              file_size: { type: 'integer', minimum: 1 },
              mime_type: { type: 'string', description: 'Sniffed from the bytes.' },
              checksum_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            },
          },
        },
      },
      AssetEnvelope: envelopeOf('Asset'),
      AssetList: pageOf('Asset'),
      ApiKey: {
        type: 'object',
        additionalProperties: false,
        required: Object.keys(apiKeyProperties),
        properties: apiKeyProperties,
      },
      CreateApiKey: {
        type: 'object',
        required: ['name', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: maxKeyNameLength },
          scopes: { type: 'array', minItems: 1, items: { type: 'string', enum: allScopes } },
          expires_at: { type: ['string', 'null'], format: 'date-time', description: 'When the key stops working; never when omitted.' },
        },
      },
      ApiKeyEnvelope: envelopeOf('ApiKey'),
      CreatedApiKeyEnvelope: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data'],
        properties: {
          success: { const: true },
          data: {
            type: 'object',
            additionalProperties: false,
            required: ['key', ...Object.keys(apiKeyProperties)],
            properties: { key: { type: 'string', description: 'The whole key, shown this once.' }, ...apiKeyProperties },
          },
        },
      },
      ApiKeyList: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data'],
        properties: { success: { const: true }, data: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } },
      },
      Pagination: {
        type: 'object',
        additionalProperties: false,
        required: ['page', 'per_page', 'total', 'total_pages'],
        properties: {
          page: { type: 'integer', minimum: 1 },
          per_page: { type: 'integer', minimum: 1, maximum: maxPerPage },
          total: { type: 'integer', minimum: 0 },
          total_pages: { type: 'integer', minimum: 0, description: 'ceil(total / per_page)' },
        },
      },
      Error: {
        type: 'object',
        additionalProperties: false,
        required: ['error', 'message'],
        properties: {
          error: { type: 'string', enum: Object.values(restErrors) },
          message: { type: 'string' },
        },
      },
      ValidationError: {
        type: 'object',
        additionalProperties: false,
        required: ['error', 'message'],
        properties: {
          error: { const: restErrors[400] },
          message: { type: 'string' },
          field: { type: 'string', description: 'The parameter or body field at fault, when there is one.' },
        },
      },
    },
  },
};
