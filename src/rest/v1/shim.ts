import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Files } from '../../domain/files/index.ts';
import { createContext, type Context } from '../../graphql/context.ts';
import { describeInternalError, unauthenticatedMessage } from '../../graphql/errors.ts';
import { executeOperation, type OperationResult } from '../../graphql/execute.ts';
import { notJsonMessage, sendError } from './errors.ts';

/**
 * What every REST route shares: the key check before anything else, and running the route's one
 * fixed GraphQL operation with the request's context. Rules (validation, scopes, workspace
 * filters) all live in the schema.
 */
export interface Shim {
  run<T, V>(req: FastifyRequest, document: TypedDocumentNode<T, V>, variables: V): Promise<OperationResult<T>>;
}

export function authenticatedShim(app: FastifyInstance, { db, files }: { db: Db; files: Files }): Shim {
  // Every route needs a key: without a valid one the answer is 401 before the body is even
  // read. Which scope a key needs is the schema's business.
  const contexts = new WeakMap<FastifyRequest, Context>();
  app.addHook('onRequest', async (req, reply) => {
    const principal = req.principal; // verified before the body is read (src/http/access.ts)
    if (!principal) return sendError(reply, 401, unauthenticatedMessage);
    contexts.set(req, createContext(db, files, principal));
  });
  return {
    run: (req, document, variables) =>
      executeOperation(document, variables, contexts.get(req)!, (error) => req.log.error(describeInternalError(error), 'unexpected error')),
  };
}

/** Query strings are text: numbers become numbers, anything else goes to the schema as it is (and is refused there). */
export function queryValue(value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return value;
}

/** The body of a write as a JSON object, or undefined once the refusal (415 or 400) is sent. */
export function jsonObjectBody(req: FastifyRequest, reply: FastifyReply): Record<string, unknown> | undefined {
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    void sendError(reply, 415, notJsonMessage);
    return undefined;
  }
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    void sendError(reply, 400, 'The request body must be a JSON object');
    return undefined;
  }
  return body as Record<string, unknown>;
}

/** The body fields a client may set, REST name → GraphQL input name; anything else (id, slug …) is ignored. */
export function writableInput(body: Record<string, unknown>, fields: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [restName, inputName] of Object.entries(fields)) {
    if (restName in body) input[inputName] = body[restName];
  }
  return input;
}

/** The Idempotency-Key header of a create, as the schema's `idempotencyKey` argument (checked there). */
export function idempotencyKeyHeader(req: FastifyRequest): string | undefined {
  const value = req.headers['idempotency-key'];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The list envelope: `data` and the contract's `pagination`. */
export function listEnvelope<T, R>(page: { page: number; perPage: number; total: number; totalPages: number; items: T[] }, toRest: (item: T) => R) {
  return {
    success: true as const,
    data: page.items.map(toRest),
    pagination: { page: page.page, per_page: page.perPage, total: page.total, total_pages: page.totalPages },
  };
}
