import type { FastifyReply } from 'fastify';
import type { GraphQLError } from 'graphql';
import { statusOfCode } from '../../graphql/errors.ts';
import type { JsonSchema } from './json-schema.ts';
import { toRestName } from './naming.ts';

/** The REST error catalog (the contract): status → the exact `error` string clients match on. */
export const restErrors = {
  400: 'Validation failed',
  401: 'Unauthorized',
  403: 'Insufficient permissions',
  404: 'Not found',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
  507: 'Insufficient storage',
} as const;
export type RestStatus = keyof typeof restErrors;

export const notJsonMessage = 'Content-Type must be application/json';

export interface RestErrorBody {
  error: string;
  message: string;
  field?: string;
}

export function errorBody(status: RestStatus, message: string, field?: string): RestErrorBody {
  return field ? { error: restErrors[status], message, field } : { error: restErrors[status], message };
}

/** Seconds a client is asked to wait before retrying a 503 (the file store unavailable). */
export const retryAfterSeconds = 30;

export function sendError(reply: FastifyReply, status: RestStatus, message: string, field?: string) {
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfterSeconds));
  return reply.status(status).send(errorBody(status, message, field));
}

/** The REST answer to a failed GraphQL operation: its first error, by code, field renamed. */
export function sendGraphQLError(reply: FastifyReply, errors: readonly GraphQLError[]) {
  const [first] = errors;
  const status = statusOfCode(first.extensions.code);
  if (!(status in restErrors) || status === 500) return sendError(reply, 500, 'An unexpected error occurred');
  const field = typeof first.extensions.field === 'string' ? toRestName(first.extensions.field) : undefined;
  return sendError(reply, status as RestStatus, first.message, field);
}

/** The error bodies, as OpenAPI components and response schemas. */
export const errorSchemas: JsonSchema[] = [
  {
    $id: 'Error',
    type: 'object',
    additionalProperties: false,
    required: ['error', 'message'],
    properties: { error: { type: 'string', enum: Object.values(restErrors) }, message: { type: 'string' } },
  },
  {
    $id: 'ValidationError',
    type: 'object',
    additionalProperties: false,
    required: ['error', 'message'],
    properties: {
      error: { const: restErrors[400] },
      message: { type: 'string' },
      field: { type: 'string', description: 'The parameter, body field or header at fault, when there is one.' },
    },
  },
];

export function errorResponse(status: RestStatus, description: string) {
  return { description, content: { 'application/json': { schema: { $ref: status === 400 ? 'ValidationError#' : 'Error#' } } } };
}

/** The refusal of a route that reads or writes file bytes while the file store cannot serve. */
export const storeUnavailable = 'The file store (an S3 bucket) does not answer or refuses; nothing was stored. `Retry-After` says when to retry.';

/** What each refusal means on any route that can give it. */
const meanings: Partial<Record<RestStatus, string>> = {
  401: 'No key, or an unknown, revoked or expired key (the same answer for all).',
  403: 'The key lacks a scope the route needs.',
  408: 'The body did not arrive within BODY_TIMEOUT_MS (default 10 s); the connection is closed.',
  409: 'A request with the same Idempotency-Key is still in progress, or the object it created has been deleted since.',
  413: 'The body is larger than BODY_LIMIT_BYTES (default 1 MiB).',
  414: 'A path parameter is longer than the router accepts (100 characters).',
  415: 'The body is not sent as application/json.',
  429:
    'Rate limit exceeded (RATE_LIMIT_PER_MINUTE per key, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE per IP without a valid key). `Retry-After` says when to ' +
    'retry; every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.',
  500: 'Something went wrong on our side; never with internals.',
  507: "The server's storage is full (its disk, or its database's); nothing was stored. Retry once space is freed: `GET /readyz` answers 200 again then.",
};

/**
 * The refusals a route can answer, from its shape: every route 401, 429 and 500 (403 when it needs a
 * scope); a path parameter 404 and 414 (and 400 for a URL that does not decode); a query string or
 * body 400; a body 408, 413 and 415; an Idempotency-Key 409; a change 507. `extra` adds or overrides (undefined: removes), per route.
 */
export function errorResponses(
  shape: { parameters: boolean; input: boolean; body: boolean; idempotent: boolean; scoped: boolean; changes: boolean; notFound?: string },
  extra: Partial<Record<RestStatus, string>> = {},
) {
  const statuses: Partial<Record<RestStatus, string>> = { 401: meanings[401], 429: meanings[429], 500: meanings[500] };
  if (shape.scoped) statuses[403] = meanings[403];
  if (shape.parameters) {
    statuses[400] = 'The URL does not decode (malformed percent-encoding).';
    statuses[404] = `${shape.notFound ?? 'Not found'}: there is no such object in your workspace (also for a malformed id).`;
    statuses[414] = meanings[414];
  }
  if (shape.input) statuses[400] = 'A parameter or body field is invalid (`field` names it), or the body is not valid JSON.';
  if (shape.body) Object.assign(statuses, { 408: meanings[408], 413: meanings[413], 415: meanings[415] });
  if (shape.idempotent) statuses[409] = meanings[409];
  if (shape.changes) statuses[507] = meanings[507];
  Object.assign(statuses, extra);
  return Object.fromEntries(
    Object.entries(statuses)
      .filter(([, description]) => description !== undefined)
      .map(([status, description]) => [status, errorResponse(Number(status) as RestStatus, description!)]),
  );
}
