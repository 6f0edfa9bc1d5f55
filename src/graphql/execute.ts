import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { execute, validate, type GraphQLError } from 'graphql';
import { observeOperation, secondsSince } from '../metrics.ts';
import { inExecuteSpan } from '../tracing.ts';
import type { Context } from './context.ts';
import { toClientError } from './errors.ts';
import { explainVariableErrors } from './input-errors.ts';
import { schema } from './schema.ts';

export interface OperationResult<T> {
  data?: T | null;
  errors?: readonly GraphQLError[];
}

/**
 * Checks a fixed operation against the schema once, when its module loads, so that a request
 * never pays for parsing or validating it (codegen hands us documents already parsed).
 */
export function fixedOperation<T, V>(document: TypedDocumentNode<T, V>): TypedDocumentNode<T, V> {
  const errors = validate(schema, document);
  if (errors.length) throw new Error(`Invalid fixed operation: ${errors.map((e) => e.message).join('; ')}`);
  return document;
}

/**
 * Runs an operation against the one schema with the error rules of /graphql (same masking, same
 * field-named input errors). The REST shims run their fixed operations through it, and so does
 * /graphql for the plain JSON POSTs it serves without yoga (./json-post.ts).
 */
export async function executeOperation<T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  context: Context,
  onInternalError?: (error: unknown) => void,
  operationName?: string,
): Promise<OperationResult<T>> {
  const start = process.hrtime.bigint();
  const result = await inExecuteSpan(document, operationName, () => run(document, variables, context, onInternalError, operationName));
  observeOperation(document, operationName, result, secondsSince(start));
  return result;
}

async function run<T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  context: Context,
  onInternalError?: (error: unknown) => void,
  operationName?: string,
): Promise<OperationResult<T>> {
  const variableValues = variables as Record<string, unknown> | undefined;
  const result = await execute({ schema, document, variableValues, operationName, contextValue: context });
  if (!result.errors?.length) return { data: result.data as T };
  if (result.data === undefined) {
    const explained = explainVariableErrors(schema, document, variableValues, operationName);
    if (explained.length) return { errors: explained };
  }
  // errors before data, as graphql-js orders them (so /graphql's JSON matches yoga's byte for byte).
  return { errors: result.errors.map((error) => toClientError(error, onInternalError)), data: result.data as T | null };
}
