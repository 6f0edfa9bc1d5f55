import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { execute, validate, type DocumentNode, type GraphQLError } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
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

// Each document's operations, compiled by graphql-jit the first time they run: one function per
// operation, in which a field that reads a column (`fromRow` in ./builder.ts) is a property read
// rather than a resolver call with an info object and two argument maps per row and field.
// Keyed by the parsed document, so an entry lives as long as the document does where it is
// kept (the JSON POST path's cache, a REST shim's module). null marks an operation graphql-jit
// will not compile (an unknown operation name, say): graphql-js runs it and reports why.
const compiledOperations = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

function compiledOperation(document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null {
  let operations = compiledOperations.get(document);
  if (!operations) compiledOperations.set(document, (operations = new Map()));
  const key = operationName ?? '';
  let compiled = operations.get(key);
  if (compiled === undefined) {
    const result = compileQuery(schema, document, operationName ?? undefined);
    compiled = isCompiledQuery(result) ? result : null;
    operations.set(key, compiled);
  }
  return compiled;
}

/**
 * Runs an operation against the one schema with the error rules of /graphql (same masking, same
 * field-named input errors). The REST shims run their fixed operations through it, and so does
 * /graphql for the plain JSON POSTs it serves without yoga (./json-post.ts). yoga, which answers
 * the rest (GET, GraphiQL, batches), runs graphql-js; test/integration/graphql-http.test.ts
 * asserts that both answer byte for byte alike.
 */
export async function executeOperation<T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  context: Context,
  onInternalError?: (error: unknown) => void,
  operationName?: string,
): Promise<OperationResult<T>> {
  const variableValues = variables as Record<string, unknown> | undefined;
  const compiled = compiledOperation(document, operationName);
  const result = await (compiled
    ? compiled.query(undefined, context, variableValues)
    : execute({ schema, document, variableValues, operationName, contextValue: context }));
  if (!result.errors?.length) return { data: result.data as T };
  if (result.data === undefined) {
    const explained = explainVariableErrors(schema, document, variableValues, operationName);
    if (explained.length) return { errors: explained };
  }
  // errors before data, as graphql-js orders them (so /graphql's JSON matches yoga's byte for byte).
  return { errors: result.errors.map((error) => toClientError(error, onInternalError)), data: result.data as T | null };
}
