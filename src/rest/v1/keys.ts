import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestApiKeyFragment } from '../../generated/graphql/graphql.ts';
import { executeOperation, fixedOperation } from '../../graphql/execute.ts';
import { describeInternalError, unauthenticatedMessage } from '../../graphql/errors.ts';
import { notJsonMessage, sendError, sendGraphQLError } from './errors.ts';

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

export function keyRoutes(app: FastifyInstance, { db }: { db: Db }) {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.principal) return sendError(reply, 401, unauthenticatedMessage);
  });
  const contextOf = (req: FastifyRequest) => ({ db, principal: req.principal });
  const logInternal = (req: FastifyRequest) => (error: unknown) => req.log.error(describeInternalError(error), 'unexpected error');

  app.get('/keys', async (req, reply) => {
    const result = await executeOperation(ListKeysOperation, {}, contextOf(req), logInternal(req));
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: result.data.apiKeys.map(toRestKey) };
  });

  app.post('/keys', async (req, reply) => {
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) return sendError(reply, 415, notJsonMessage);
    const body = req.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendError(reply, 400, 'The request body must be a JSON object');
    const input = { name: body.name, scopes: body.scopes, expiresAt: body.expires_at };
    const result = await executeOperation(CreateKeyOperation, { input: input as never }, contextOf(req), logInternal(req));
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    const { key, apiKey } = result.data.createApiKey;
    return reply.status(201).send({ success: true, data: { key, ...toRestKey(apiKey) } });
  });

  app.post('/keys/:prefix/revoke', async (req, reply) => {
    const { prefix } = req.params as { prefix: string };
    const result = await executeOperation(RevokeKeyOperation, { prefix }, contextOf(req), logInternal(req));
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestKey(result.data.revokeApiKey) };
  });
}
