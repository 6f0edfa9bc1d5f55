import type { FastifyInstance } from 'fastify';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestApiKeyFragment } from '../../generated/graphql/graphql.ts';
import { fixedOperation } from '../../graphql/execute.ts';
import { sendGraphQLError } from './errors.ts';
import { jsonObjectBody, type Shim } from './shim.ts';

/** /api/v1/keys: key management (scope `admin:keys`), each route one fixed GraphQL operation. */

graphql(`
  fragment RestApiKey on ApiKey { prefix name scopes createdAt lastUsedAt expiresAt revokedAt }
`);

const ListKeysOperation = fixedOperation(graphql(`query RestListKeys { apiKeys { ...RestApiKey } }`));
const CreateKeyOperation = fixedOperation(
  graphql(`mutation RestCreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { ...RestApiKey } } }`),
);
const RevokeKeyOperation = fixedOperation(graphql(`mutation RestRevokeKey($prefix: String!) { revokeApiKey(prefix: $prefix) { ...RestApiKey } }`));

export function toRestKey(apiKey: RestApiKeyFragment) {
  return {
    prefix: apiKey.prefix,
    name: apiKey.name,
    scopes: apiKey.scopes,
    created_at: apiKey.createdAt,
    last_used_at: apiKey.lastUsedAt ?? null,
    expires_at: apiKey.expiresAt ?? null,
    revoked_at: apiKey.revokedAt ?? null,
  };
}

export function keyRoutes(app: FastifyInstance, shim: Shim) {
  app.get('/keys', async (req, reply) => {
    const result = await shim.run(req, ListKeysOperation, {});
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: result.data.apiKeys.map(toRestKey) };
  });

  app.post('/keys', async (req, reply) => {
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const input = { name: body.name, scopes: body.scopes, expiresAt: body.expires_at };
    const result = await shim.run(req, CreateKeyOperation, { input: input as never });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    const { key, apiKey } = result.data.createApiKey;
    return reply.status(201).send({ success: true, data: { key, ...toRestKey(apiKey) } });
  });

  app.post('/keys/:prefix/revoke', async (req, reply) => {
    const { prefix } = req.params as { prefix: string };
    const result = await shim.run(req, RevokeKeyOperation, { prefix });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestKey(result.data.revokeApiKey) };
  });
}
