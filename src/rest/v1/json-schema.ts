import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLEnumType,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { restEnumValue } from '../../graphql/enums.ts';
import { toRestName } from './naming.ts';

/**
 * JSON Schema for the REST face, derived from the GraphQL schema the REST routes run on: a REST
 * field is a GraphQL field under its snake_case name, an enum value is spelled in lower case, and
 * the constraints and descriptions are the ones the GraphQL schema carries (descriptions, and the
 * `jsonSchema` extension of an argument or input field, written from the domain's constants).
 * So the OpenAPI document and the request validation cannot drift from what GraphQL accepts.
 */
export type JsonSchema = Record<string, unknown>;

/** The `extensions.jsonSchema` of a GraphQL argument or input field: constraints the domain enforces. */
export interface JsonSchemaExtension {
  jsonSchema?: JsonSchema;
}

const scalarSchemas: Record<string, JsonSchema> = {
  String: { type: 'string' },
  ID: { type: 'string', format: 'uuid' },
  Int: { type: 'integer' },
  SafeInt: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  URL: { type: 'string', format: 'uri' },
};

/** `{ type: 'string' }` → `{ type: ['string', 'null'] }`. */
export function orNull(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string')
    return { ...schema, type: [schema.type, 'null'], ...(schema.enum ? { enum: [...(schema.enum as unknown[]), null] } : {}) };
  return { anyOf: [schema, { type: 'null' }] };
}

export function restEnumValues(type: GraphQLEnumType): string[] {
  return type.getValues().map((value) => restEnumValue(value.name));
}

/** A GraphQL field, argument or input field: what it says of itself. */
export interface Described {
  description?: string | null;
  extensions?: Readonly<JsonSchemaExtension>;
  type?: GraphQLInputType | GraphQLOutputType;
  defaultValue?: unknown;
}

function annotated(schema: JsonSchema, from: Described | undefined): JsonSchema {
  if (!from) return schema;
  const defaultValue = from.defaultValue === undefined || !from.type ? undefined : restDefault(from.type as GraphQLInputType, from.defaultValue);
  return {
    ...schema,
    ...(from.description ? { description: from.description } : {}),
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    ...from.extensions?.jsonSchema,
    // A list's rules may speak of its items (a scope's length): they join the items' own schema.
    ...(schema.items && from.extensions?.jsonSchema?.items
      ? { items: { ...(schema.items as JsonSchema), ...(from.extensions.jsonSchema.items as JsonSchema) } }
      : {}),
  };
}

/** A default as REST spells it: an enum's internal value (`createdAt`) by its GraphQL name, in lower case. */
function restDefault(type: GraphQLInputType, value: unknown): unknown {
  const inner = getNullableType(type);
  if (isEnumType(inner)) {
    const name = inner.getValues().find((candidate) => candidate.value === value)?.name;
    return name === undefined ? undefined : restEnumValue(name);
  }
  return value;
}

/**
 * The schema of a value of a GraphQL input type, as REST clients send it. `nullable`: whether a
 * JSON null is a value (a body field; a query string has no null).
 */
export function inputSchema(type: GraphQLInputType, nullable: boolean, from?: Described): JsonSchema {
  const inner = getNullableType(type);
  let schema: JsonSchema;
  if (isListType(inner)) schema = { type: 'array', items: inputSchema(inner.ofType, false) };
  else if (isEnumType(inner)) schema = { type: 'string', enum: restEnumValues(inner) };
  else if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields());
    const required = fields.filter((field) => isNonNullType(field.type) && field.defaultValue === undefined).map((field) => toRestName(field.name));
    schema = {
      type: 'object',
      ...(required.length ? { required } : {}),
      properties: Object.fromEntries(fields.map((field) => [toRestName(field.name), inputSchema(field.type, true, field as Described)])),
    };
  } else schema = { ...(scalarSchemas[inner.name] ?? {}) };
  schema = annotated(schema, from);
  return nullable && !isNonNullType(type) ? orNull(schema) : schema;
}

/** The schema of a GraphQL output value as REST shows it; `absent`: the field is null where a type lacks it. */
export function outputSchema(type: GraphQLOutputType, from?: Described, absent = false): JsonSchema {
  const inner = getNullableType(type);
  let schema: JsonSchema;
  if (isListType(inner)) schema = { type: 'array', items: outputSchema(inner.ofType) };
  else if (isEnumType(inner)) schema = { type: 'string', enum: restEnumValues(inner) };
  else if (isScalarType(inner)) schema = { ...(scalarSchemas[inner.name] ?? {}) };
  else throw new Error(`REST shows scalar, enum and list fields; select the fields of ${inner.name}`);
  schema = annotated(schema, from);
  return absent || !isNonNullType(type) ? orNull(schema) : schema;
}

/**
 * Keywords that document a rule the domain enforces for both faces (lengths, ranges, formats): the
 * REST validator leaves them to the domain, so a value breaking one is refused in the same words
 * on REST and GraphQL. The validator checks what GraphQL's own coercion would: types, enum
 * values, required fields.
 */
const documentedRules = new Set(['format', 'minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'default']);

export function validationView(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(validationView);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([keyword]) => !documentedRules.has(keyword))
      .map(([keyword, value]) => [keyword, keyword === 'properties' ? mapValues(value as JsonSchema, validationView) : validationView(value)]),
  );
}

function mapValues<T>(object: Record<string, T>, map: (value: T) => unknown) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));
}
