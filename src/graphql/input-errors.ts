import {
  coerceInputValue,
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLError,
  isNonNullType,
  typeFromAST,
  type DocumentNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { restEnumValue } from './enums.ts';
import { ErrorCode } from './errors.ts';

/**
 * graphql-js reports a variable of the wrong type as one sentence ("Variable "$input" got
 * invalid value 123 at "input.title" …"). Clients need to know which field was wrong, so when
 * variables fail to coerce we coerce them once more to collect each failure with its path and
 * answer BAD_USER_INPUT errors that carry `extensions.field`. Only runs on failed requests.
 */
export function explainVariableErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): GraphQLError[] {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition' && (!operationName || d.name?.value === operationName),
  );
  const errors: GraphQLError[] = [];
  for (const definition of operation?.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    if (!type) continue;
    const value = variables?.[name];
    if (value === undefined || value === null) {
      if (isNonNullType(type) && !definition.defaultValue) errors.push(inputError(name, `${label(name)} is required`));
      continue;
    }
    coerceInputValue(value, type as Parameters<typeof coerceInputValue>[1], (path, _invalid, error) => {
      const field = [...path].reverse().find((p): p is string => typeof p === 'string') ?? name;
      const missing = /^Field "(\w+)" of required type/.exec(error.message);
      const unknown = /^Field "(\w+)" is not defined by type/.exec(error.message);
      if (missing) errors.push(inputError(missing[1], `${label(missing[1])} is required`));
      else if (/not to be null\.$/.test(error.message)) errors.push(inputError(field, `${label(field)} is required`));
      else if (unknown) errors.push(inputError(unknown[1], `Unknown field ${unknown[1]}`));
      else errors.push(inputError(field, `${label(field)} must be ${failedExpectation(schema, error, type)}`));
    });
  }
  return errors;
}

function inputError(field: string, message: string) {
  return new GraphQLError(message, { extensions: { code: ErrorCode.badUserInput, field } });
}

const acronyms: Record<string, string> = { url: 'URL', id: 'ID', ids: 'IDs' };

/** `assetType` → "Asset type", `externalUrl` → "External URL". */
export function label(field: string): string {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ');
  const text = words.map((w) => acronyms[w] ?? w).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const scalarExpectations: Record<string, string> = {
  String: 'a string',
  Boolean: 'true or false',
  Int: 'an integer',
  Float: 'a number',
  SafeInt: 'an integer',
  DateTime: 'an ISO-8601 date-time',
  URL: 'an absolute http or https URL',
  ID: 'a string',
};

function failedExpectation(schema: GraphQLSchema, error: GraphQLError, variableType: unknown): string {
  // The type named in graphql-js's message is the one that failed (the field's own type).
  const typeName =
    /Expected type "(\w+)"/.exec(error.message)?.[1] ??
    /^(\w+) cannot represent/.exec(error.message)?.[1] ??
    / in "(\w+)" enum/.exec(error.message)?.[1] ??
    /^Enum "(\w+)" cannot represent/.exec(error.message)?.[1];
  const type = typeName ? schema.getType(typeName) : getNamedType(variableType as never);
  if (/to be an object/.test(error.message) && !(type instanceof GraphQLInputObjectType)) return 'an object';
  return type ? expectation(type, 'graphql') : 'valid';
}

/**
 * What a value of `type` must be, as a refusal says it: "a string", "one of: PDF, IMAGE, …". The
 * REST face names enum values in its own spelling (`pdf`, `image`) and reads the same words.
 */
export function expectation(type: GraphQLNamedType, spelling: 'graphql' | 'rest'): string {
  if (type instanceof GraphQLEnumType) {
    return `one of: ${type
      .getValues()
      .map((v) => (spelling === 'rest' ? restEnumValue(v.name) : v.name))
      .join(', ')}`;
  }
  if (type instanceof GraphQLInputObjectType) return 'an object';
  return scalarExpectations[type.name] ?? 'valid';
}
