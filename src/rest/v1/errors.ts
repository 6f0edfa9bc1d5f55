import type { FastifyReply } from 'fastify';
import type { GraphQLError } from 'graphql';
import { ErrorCode } from '../../graphql/errors.ts';
import { toRestName } from './naming.ts';

/** The REST error catalog (DESIGN.md): status → the exact `error` string clients match on. */
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

export function sendError(reply: FastifyReply, status: RestStatus, message: string, field?: string) {
  return reply.status(status).send(errorBody(status, message, field));
}

const statusByCode: Record<string, RestStatus> = {
  [ErrorCode.badUserInput]: 400,
  [ErrorCode.unauthenticated]: 401,
  [ErrorCode.forbidden]: 403,
  [ErrorCode.notFound]: 404,
  [ErrorCode.tooLarge]: 413,
  [ErrorCode.conflict]: 409,
  [ErrorCode.requestTimeout]: 408,
};

/** The REST answer to a failed GraphQL operation: its first error, by code, field renamed. */
export function sendGraphQLError(reply: FastifyReply, errors: readonly GraphQLError[]) {
  const [first] = errors;
  const status = statusByCode[String(first.extensions.code)] ?? 500;
  if (status === 500) return sendError(reply, 500, 'An unexpected error occurred');
  const field = typeof first.extensions.field === 'string' ? toRestName(first.extensions.field) : undefined;
  return sendError(reply, status, first.message, field);
}
