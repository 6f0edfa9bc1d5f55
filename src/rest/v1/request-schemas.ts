import { Ajv, type ErrorObject } from 'ajv';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';
import { ValidationError } from '../../domain/errors.ts';
import { graphqlEnumName } from '../../graphql/enums.ts';
import { expectation, label } from '../../graphql/input-errors.ts';
import { schema } from '../../graphql/schema.ts';
import { inputSchema, validationView, type Described, type JsonSchema } from './json-schema.ts';
import { toRestName } from './naming.ts';
import type { RestRoute } from './route-table.ts';

/**
 * The request side of a route of the table (./route-table.ts): where each variable of its fixed
 * operation comes from, the documented JSON Schema of each part of the request (from the
 * variables' GraphQL types and the rules their arguments carry), the validator Fastify runs on
 * each part, and the values as GraphQL spells them.
 */
export interface Binding {
  variable: string;
  type: GraphQLInputType;
  /** The argument or input field the variable is passed to: its description and documented rules go to the REST field. */
  definition?: Described;
}

export type Bindings = Record<string, Binding>;

/**
 * Where each variable of the operation comes from: a path parameter when the route says so,
 * `idempotencyKey` from the Idempotency-Key header, the body's object or lists from the body, any
 * other from the query string under its snake_case name.
 */
export function bindingsOf(route: RestRoute, operation: OperationDefinitionNode) {
  // The argument or input field each variable is passed to (`filter: { search: $search }` → AssetFilter.search).
  const definitionOf = new Map<string, Described>();
  const typeInfo = new TypeInfo(schema);
  const enclosing: (Described | undefined)[] = [];
  visit(
    operation.selectionSet,
    visitWithTypeInfo(typeInfo, {
      Argument: { enter: () => void enclosing.push(typeInfo.getArgument() ?? undefined), leave: () => void enclosing.pop() },
      ObjectField: {
        enter(node) {
          const parent = getNamedType(typeInfo.getParentInputType());
          enclosing.push(parent && isInputObjectType(parent) ? parent.getFields()[node.name.value] : undefined);
        },
        leave: () => void enclosing.pop(),
      },
      Variable(node) {
        const definition = enclosing.at(-1);
        if (definition && !definitionOf.has(node.name.value)) definitionOf.set(node.name.value, definition);
      },
    }),
  );
  const parts = { params: {} as Bindings, querystring: {} as Bindings, headers: {} as Bindings, body: {} as Bindings };
  const paramOf = new Map(Object.entries(route.params ?? {}).map(([param, variable]) => [variable, param]));
  for (const definition of operation.variableDefinitions ?? []) {
    const variable = definition.variable.name.value;
    const binding = { variable, type: typeFromAST(schema, definition.type as never) as GraphQLInputType, definition: definitionOf.get(variable) };
    const inner = getNullableType(binding.type);
    if (paramOf.has(variable)) parts.params[paramOf.get(variable)!] = binding;
    else if (route.custom)
      continue; // the handler fills it (an uploaded file)
    else if (variable === 'idempotencyKey') parts.headers['idempotency-key'] = binding;
    else if (route.body && (isListType(inner) || isInputObjectType(inner))) parts.body[route.body === 'input' ? '' : toRestName(variable)] = binding;
    else parts.querystring[toRestName(variable)] = binding;
  }
  return parts;
}

function objectSchema(bindings: Bindings, nullable: boolean): JsonSchema {
  const entries = Object.entries(bindings);
  const required = entries.filter(([, binding]) => isNonNullType(binding.type)).map(([name]) => name);
  return {
    type: 'object',
    ...(required.length ? { required } : {}),
    properties: Object.fromEntries(entries.map(([name, binding]) => [name, inputSchema(binding.type, nullable, binding.definition)])),
  };
}

/** The documented schema of each part of a request the route reads. */
export function requestSchemas(route: RestRoute, bindings: ReturnType<typeof bindingsOf>) {
  const body =
    route.custom?.body ??
    (route.body === 'input'
      ? inputSchema(bindings.body[''].type, false, bindings.body[''].definition)
      : route.body
        ? objectSchema(bindings.body, true)
        : undefined);
  const present = (part: Bindings) => Object.keys(part).length > 0;
  return {
    ...(route.custom?.params ? { params: route.custom.params } : present(bindings.params) ? { params: objectSchema(bindings.params, false) } : {}),
    ...(route.custom?.querystring
      ? { querystring: route.custom.querystring }
      : present(bindings.querystring)
        ? { querystring: objectSchema(bindings.querystring, false) }
        : {}),
    ...(present(bindings.headers) ? { headers: objectSchema(bindings.headers, false) } : {}),
    ...(body ? { body } : {}),
  };
}

const validator = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/**
 * The Fastify validator of one part of a request, compiled from its documented schema: GraphQL's
 * input coercion first (an integer written in a query string, a single value where a list goes),
 * then the types, enum values and required fields. A refusal names the field and says what it
 * must be, in the words of GraphQL's own refusals (../../graphql/input-errors.ts).
 */
export function partValidator(documented: JsonSchema, part: RequestPart, fields: Map<string, GraphQLInputType>) {
  const validate = validator.compile(validationView(documented) as JsonSchema);
  const fromText = part === 'querystring' || part === 'params';
  return (data: unknown) => {
    const value = coerce(data, fields, fromText);
    if (validate(value)) return { value };
    return { error: refusal(validate.errors ?? [], part, fields, value) };
  };
}

export type RequestPart = 'params' | 'querystring' | 'headers' | 'body';

/** The fields of a request part, REST name → GraphQL type, in the order GraphQL coerces them. */
export function fieldsOfPart(bindings: Bindings, bodyMode: RestRoute['body'] | undefined): Map<string, GraphQLInputType> {
  const input = bodyMode === 'input' ? getNullableType(bindings[''].type) : undefined;
  if (input && isInputObjectType(input)) return new Map(Object.values(input.getFields()).map((field) => [toRestName(field.name), field.type]));
  return new Map(Object.entries(bindings).map(([name, binding]) => [name, binding.type]));
}

/** GraphQL's input coercion, before the types are checked: an integer written in a query string, an integer ID, a single value where a list goes. */
function coerce(data: unknown, fields: Map<string, GraphQLInputType>, fromText: boolean): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const coerced: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [name, type] of fields) if (coerced[name] !== undefined) coerced[name] = coerceValue(coerced[name], type, fromText);
  return coerced;
}

function coerceValue(value: unknown, type: GraphQLInputType, fromText: boolean): unknown {
  if (value === null) return value;
  const inner = getNullableType(type);
  if (isListType(inner)) return (Array.isArray(value) ? value : [value]).map((item) => coerceValue(item, inner.ofType, fromText));
  if (isInputObjectType(inner) && typeof value === 'object' && !Array.isArray(value)) {
    return coerce(value, new Map(Object.values(inner.getFields()).map((field) => [toRestName(field.name), field.type])), fromText);
  }
  const name = getNamedType(inner).name;
  if (name === 'ID' && Number.isInteger(value)) return String(value);
  if (fromText && name === 'Int' && typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return value;
}

function refusal(errors: ErrorObject[], part: RequestPart, fields: Map<string, GraphQLInputType>, value: unknown): Error {
  const order = [...fields.keys()];
  const named = errors.map((error) => {
    const field = error.instancePath.split('/')[1] ?? (error.keyword === 'required' ? String(error.params.missingProperty) : undefined);
    return { error, field };
  });
  if (named.some(({ field }) => field === undefined))
    return new ValidationError('', part === 'body' ? 'The request body must be a JSON object' : 'The request is malformed');
  // A value outside an enum's spelling first, then the fields in the order GraphQL coerces them.
  named.sort((a, b) => Number(a.error.keyword !== 'enum') - Number(b.error.keyword !== 'enum') || order.indexOf(a.field!) - order.indexOf(b.field!));
  const { error, field } = named[0];
  const name = graphqlName(field!);
  if (error.keyword === 'required' || (value as Record<string, unknown>)[field!] === null) return new ValidationError(name, `${label(name)} is required`);
  const type = fields.get(field!);
  return new ValidationError(name, `${label(name)} must be ${type ? expectation(getNamedType(type), 'rest') : 'valid'}`);
}

/** `asset_type` → `assetType`, the name domain errors use (toRestName turns it back). */
const graphqlName = (restName: string) =>
  restName === 'idempotency-key' ? 'idempotencyKey' : restName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A value as GraphQL spells it: enum values in upper case, input fields by their GraphQL names. */
export function toGraphQLValue(value: unknown, type: GraphQLInputType): unknown {
  if (value === null || value === undefined) return value;
  const inner = getNullableType(type);
  if (isListType(inner)) return (value as unknown[]).map((item) => toGraphQLValue(item, inner.ofType));
  if (isEnumType(inner)) return graphqlEnumName(String(value));
  if (isInputObjectType(inner)) {
    const input: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      const restName = toRestName(field.name);
      if (restName in (value as object)) input[field.name] = toGraphQLValue((value as Record<string, unknown>)[restName], field.type);
    }
    return input;
  }
  return value;
}
