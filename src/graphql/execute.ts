import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { execute, validate, type GraphQLError } from 'graphql';
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
 * Runs a fixed operation against the one schema with the same context and error rules as
 * /graphql (same masking, same field-named input errors).
 */
export async function executeOperation<T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  context: Context,
  onInternalError?: (error: unknown) => void,
): Promise<OperationResult<T>> {
  const result = await execute({ schema, document, variableValues: variables as Record<string, unknown>, contextValue: context });
  if (!result.errors?.length) return { data: result.data as T };
  if (result.data === undefined) {
    const explained = explainVariableErrors(schema, document, variables as Record<string, unknown>);
    if (explained.length) return { errors: explained };
  }
  return { data: result.data as T | null, errors: result.errors.map((error) => toClientError(error, onInternalError)) };
}
