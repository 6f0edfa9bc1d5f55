import { representation } from '../representations.ts';
import { list, one, type RestRoute } from '../route-table.ts';

/** An API key in REST (never its secret); once, at creation, with the whole key first. */
export const restApiKey = representation('ApiKey', ['prefix', 'name', 'scopes', 'createdAt', 'lastUsedAt', 'expiresAt', 'revokedAt']);
const restCreatedApiKey = representation('CreatedApiKey', ['key'], { field: 'apiKey', representation: restApiKey });

export const keyRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/keys',
    operationId: 'listKeys',
    tag: 'keys',
    summary: 'List API keys',
    description: 'The keys of your workspace, revoked ones included; never their secrets.',
    operation: 'query RestListKeys { apiKeys { ...RestApiKey } }',
    answer: list(restApiKey, 'apiKeys', 'The keys.'),
  },
  {
    method: 'POST',
    url: '/keys',
    operationId: 'createKey',
    tag: 'keys',
    summary: 'Create an API key',
    description: 'A key of your workspace with scopes the calling key holds. The whole key (`key`) is in this answer only.',
    operation: 'mutation RestCreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { ...RestCreatedApiKey } }',
    body: 'input',
    answer: one(restCreatedApiKey, 'createApiKey', 'The new key, with its secret.', { status: 201 }),
  },
  {
    method: 'POST',
    url: '/keys/:prefix/revoke',
    operationId: 'revokeKey',
    tag: 'keys',
    summary: 'Revoke an API key',
    description: 'The key stops working on the next request (on every gateway process sharing Redis).',
    operation: 'mutation RestRevokeKey($prefix: String!) { revokeApiKey(prefix: $prefix) { ...RestApiKey } }',
    params: { prefix: 'prefix' },
    answer: one(restApiKey, 'revokeApiKey', 'The revoked key.', { notFound: 'API key not found' }),
  },
];
