import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import {
  ConflictError,
  InsufficientStorageError,
  NotFoundError,
  StorageUnavailableError,
  storageFullCode,
  TimeoutError,
  TooLargeError,
  ValidationError,
} from '../domain/errors.ts';

/**
 * Error codes in `extensions.code`, the one vocabulary both faces speak, each with the HTTP status
 * it stands for: the REST routes answer that status for it, and /graphql answers it (with the
 * code) for a request refused before it runs. GraphQL clients read the codes.
 */
const statusByCode = {
  // First for 400: a request refused before it runs (not a GraphQL request) is a BAD_REQUEST.
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  INSUFFICIENT_STORAGE: 507,
  // Refusals of GraphQL's validation: answered in a 200 on /graphql, never reach REST's fixed operations.
  QUERY_DEPTH_LIMIT: 400,
  QUERY_COST_LIMIT: 400,
  QUERY_ALIAS_LIMIT: 400,
  QUERY_DIRECTIVE_LIMIT: 400,
  // Refusals of persisted operations (./persisted-operations.ts): answered in a 200, as Apollo's link expects.
  PERSISTED_QUERY_NOT_FOUND: 400,
  PERSISTED_QUERY_ONLY: 400,
} as const;

export const ErrorCode = {
  badRequest: 'BAD_REQUEST',
  badUserInput: 'BAD_USER_INPUT',
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  notAcceptable: 'NOT_ACCEPTABLE',
  requestTimeout: 'REQUEST_TIMEOUT',
  conflict: 'CONFLICT',
  tooLarge: 'PAYLOAD_TOO_LARGE',
  uriTooLong: 'URI_TOO_LONG',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  rateLimited: 'RATE_LIMITED',
  internal: 'INTERNAL_SERVER_ERROR',
  insufficientStorage: 'INSUFFICIENT_STORAGE',
  serviceUnavailable: 'SERVICE_UNAVAILABLE',
  depthLimit: 'QUERY_DEPTH_LIMIT',
  costLimit: 'QUERY_COST_LIMIT',
  aliasLimit: 'QUERY_ALIAS_LIMIT',
  directiveLimit: 'QUERY_DIRECTIVE_LIMIT',
  persistedQueryNotFound: 'PERSISTED_QUERY_NOT_FOUND',
  persistedQueryOnly: 'PERSISTED_QUERY_ONLY',
} as const satisfies Record<string, keyof typeof statusByCode>;

/** The HTTP status a code stands for; 500 for a code this server does not give. */
export function statusOfCode(code: unknown): number {
  return statusByCode[code as keyof typeof statusByCode] ?? 500;
}

/** The code of a request refused with `status` before any operation ran. */
export function codeOfStatus(status: number): string {
  return Object.entries(statusByCode).find(([, candidate]) => candidate === status)?.[0] ?? ErrorCode.internal;
}

/** GraphQL's shape of an error that no operation produced (an HTTP-level refusal), as the JSON to send. */
export function graphqlErrorBody(message: string, code: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

export const unauthenticatedMessage = 'A valid API key is required (Authorization: Bearer <key>)';

export function unauthenticatedError() {
  return new GraphQLError(unauthenticatedMessage, { extensions: { code: ErrorCode.unauthenticated } });
}

export function forbiddenError(scope: string) {
  return new GraphQLError(`API key does not have ${scope} scope`, { extensions: { code: ErrorCode.forbidden, scope } });
}

/**
 * Turns whatever a resolver threw into what a client may see: domain errors get their code
 * (and `field`), GraphQL errors we raised stay as they are, anything else is masked so that
 * no stack trace, SQL or secret leaves the process.
 */
export function toClientError(error: unknown, onInternalError?: (error: unknown) => void): GraphQLError {
  const graphQLError = error instanceof GraphQLError ? error : null;
  const original = graphQLError?.originalError ?? error;
  const location = graphQLError ? { nodes: graphQLError.nodes, path: graphQLError.path } : {};
  if (original instanceof ValidationError) {
    return new GraphQLError(original.message, {
      ...location,
      extensions: { code: ErrorCode.badUserInput, field: original.field },
    });
  }
  // What Pothos checks itself: a connection's `first` or `last` below 0.
  if (original instanceof PothosValidationError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.badUserInput } });
  }
  if (original instanceof TooLargeError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.tooLarge } });
  }
  if (original instanceof TimeoutError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.requestTimeout } });
  }
  if (original instanceof ConflictError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.conflict } });
  }
  if (original instanceof NotFoundError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.notFound } });
  }
  // A full disk, wherever it was met (file storage, PGlite, PostgreSQL): the operator must hear of it.
  const fullCode = original instanceof InsufficientStorageError ? original.code : storageFullCode(original);
  if (fullCode) {
    const full = original instanceof InsufficientStorageError ? original : new InsufficientStorageError(fullCode);
    onInternalError?.(full);
    return new GraphQLError(full.message, { ...location, extensions: { code: ErrorCode.insufficientStorage } });
  }
  // The file store does not answer or refuses: the client may retry, the operator must hear of it.
  if (original instanceof StorageUnavailableError) {
    onInternalError?.(original);
    return new GraphQLError(original.message, { ...location, extensions: { code: ErrorCode.serviceUnavailable } });
  }
  // Errors raised as GraphQLErrors (ours, or graphql-js's own) are meant for the client; every
  // error carries a code, so graphql-js's (e.g. a subscription to a schema without them) get one.
  if (graphQLError && (!graphQLError.originalError || graphQLError.originalError instanceof GraphQLError)) {
    if (graphQLError.extensions.code) return graphQLError;
    return new GraphQLError(graphQLError.message, {
      ...location,
      source: graphQLError.source,
      positions: graphQLError.positions,
      extensions: { ...graphQLError.extensions, code: ErrorCode.badRequest },
    });
  }
  onInternalError?.(original);
  return new GraphQLError('Unexpected error.', { ...location, extensions: { code: ErrorCode.internal } });
}

/** What may be logged of an unexpected error: its kind and code, never its stack, SQL or arguments. */
export function describeInternalError(error: unknown) {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return { errorName: name ?? typeof error, errorCode: code };
}
