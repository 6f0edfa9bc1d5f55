import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { ConflictError, NotFoundError, TimeoutError, TooLargeError, ValidationError } from '../domain/errors.ts';

/**
 * Error codes in `extensions.code`, the one vocabulary both faces speak:
 * GraphQL clients read them, the REST shim maps them onto HTTP statuses.
 */
export const ErrorCode = {
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  badUserInput: 'BAD_USER_INPUT',
  notFound: 'NOT_FOUND',
  tooLarge: 'PAYLOAD_TOO_LARGE',
  conflict: 'CONFLICT',
  requestTimeout: 'REQUEST_TIMEOUT',
  badRequest: 'BAD_REQUEST',
  internal: 'INTERNAL_SERVER_ERROR',
  depthLimit: 'QUERY_DEPTH_LIMIT',
  costLimit: 'QUERY_COST_LIMIT',
  aliasLimit: 'QUERY_ALIAS_LIMIT',
  directiveLimit: 'QUERY_DIRECTIVE_LIMIT',
} as const;

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
