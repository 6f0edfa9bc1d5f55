import { assetSorts, assetTypes, defaultPerPage, maxPerPage, maxTitleLength, sortOrders } from '../../domain/assets.ts';
import { allScopes } from '../../auth/scopes.ts';
import { maxKeyNameLength } from '../../domain/api-keys.ts';
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
  401: errorResponse(401, 'No key, or an unknown, revoked or expired key (the same answer for all).', 'A valid API key is required (Authorization: Bearer <key>)'),
  403: errorResponse(403, 'The key lacks the scope the route needs.', 'API key does not have write:assets scope'),
  404: errorResponse(404, 'No such asset in your workspace (also for a malformed id).', 'Asset not found'),
  413: errorResponse(413, 'The body is larger than the limit (BODY_LIMIT_BYTES, default 1 MiB).', 'Request body is larger than 1048576 bytes'),
  415: errorResponse(415, 'The body is not sent as application/json.', 'Content-Type must be application/json'),
  408: errorResponse(408, 'The body did not arrive within BODY_TIMEOUT_MS (default 10 s); the connection is closed.', 'The request body did not arrive within 10000 ms'),
  414: errorResponse(414, 'A path parameter is longer than the router accepts (100 characters).', 'The URL path is too long'),
  429: errorResponse(
    429,
    'Rate limit exceeded (RATE_LIMIT_PER_MINUTE per key, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE per IP without a valid key). `Retry-After` says when to retry; every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.',
    'Rate limit of 1200 requests per minute exceeded; retry in 42 s',
  ),
  500: errorResponse(500, 'Something went wrong on our side; never with internals.', 'An unexpected error occurred'),
};

const apiKeyProperties = {
  prefix: { type: 'string', description: 'Public; names the key.' },
  name: { type: 'string' },
  scopes: { type: 'array', items: { type: 'string', enum: allScopes } },
  created_at: { type: 'string', format: 'date-time' },
  last_used_at: nullable('string', { format: 'date-time', description: 'Recorded at most once a minute per process.' }),
  expires_at: nullable('string', { format: 'date-time' }),
  revoked_at: nullable('string', { format: 'date-time' }),
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Assets API',
    version: '1.0.0',
    description:
      'List, create and manage digital assets. Every route needs `Authorization: Bearer <key>`; ' +
      'keys carry scopes (`read:assets`, `write:assets`). The same data is served over GraphQL at /graphql.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ apiKey: [] }],
  paths: {
    '/assets': {
      get: {
        operationId: 'listAssets',
        summary: 'List assets',
        description: 'A page of the assets of your workspace (every asset that is not deleted). Required scope: `read:assets`.',
        parameters: [
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 }, description: 'Page number' },
          {
            name: 'per_page',
            in: 'query',
            schema: { type: 'integer', minimum: 1, default: defaultPerPage },
            description: `Results per page (max: ${maxPerPage}; larger values are clamped to ${maxPerPage})`,
          },
          { name: 'asset_type', in: 'query', schema: { type: 'string', enum: assetTypes }, description: 'Filter by type' },
          {
            name: 'search',
            in: 'query',
            schema: { type: 'string' },
            description: 'Case-insensitive substring of the title or description; every character is literal',
          },
          { name: 'sort', in: 'query', schema: { type: 'string', enum: Object.keys(assetSorts), default: 'created_at' }, description: 'Sort by (ties by id)' },
          { name: 'order', in: 'query', schema: { type: 'string', enum: sortOrders, default: 'desc' }, description: 'Sort order' },
        ],
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
        description: 'Required scope: `write:assets`. Read-only fields in the body (`id`, `slug`, `download_count` …) are ignored.',
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
          413: responses[413],
          415: responses[415],
          429: responses[429],
          500: responses[500],
        },
      },
    },
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
          201: { description: 'The new key, with its secret.', content: { 'application/json': { schema: { $ref: '#/components/schemas/CreatedApiKeyEnvelope' } } } },
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
          'id', 'title', 'slug', 'description', 'asset_type', 'file_path', 'file_size', 'mime_type', 'checksum_sha256',
          'thumbnail_path', 'page_count', 'word_count', 'width', 'height', 'duration_seconds', 'external_url',
          'video_embed', 'download_count', 'is_public', 'created_at', 'updated_at',
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
          file_path: { type: ['string', 'null'], description: 'A file already on the server, under /uploads/' },
        },
      },
      AssetEnvelope: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data'],
        properties: { success: { const: true }, data: { $ref: '#/components/schemas/Asset' } },
      },
      AssetList: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data', 'pagination'],
        properties: {
          success: { const: true },
          data: { type: 'array', items: { $ref: '#/components/schemas/Asset' } },
          pagination: { $ref: '#/components/schemas/Pagination' },
        },
      },
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
      ApiKeyEnvelope: {
        type: 'object',
        additionalProperties: false,
        required: ['success', 'data'],
        properties: { success: { const: true }, data: { $ref: '#/components/schemas/ApiKey' } },
      },
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
