import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { fieldScopes, grants } from '../auth/scopes.ts';
import { checkText } from '../domain/text.ts';
import type { Context } from './context.ts';
import { label } from './input-errors.ts';
import type { Rules } from './rules.ts';

/**
 * The one text rule (src/domain/text.ts) on every text input of the schema, both faces: each String
 * or URL argument and input field, at any depth, is checked before its field resolves (NUL and lone
 * surrogates never; control characters as its kind allows; at most its declared length) and refused
 * with BAD_USER_INPUT naming it. A text input without a declared length (`rules({ maxLength })`,
 * ./rules.ts) stops the schema from being built, so a new one cannot be missed. IDs are not text:
 * what is not one of our ids names nothing, and the domain answers it as unknown.
 */
const textScalars = new Set(['String', 'URL']);

type Check = (value: unknown) => void;

interface Input {
  name: string;
  type: GraphQLInputType;
  extensions?: Readonly<Rules>;
}

function checkOf(input: Input, where: string, itemLength?: number): Check | null {
  const type = getNullableType(input.type);
  if (isListType(type)) {
    const item = checkOf({ ...input, type: type.ofType }, where, input.extensions?.jsonSchema?.items?.maxLength);
    return item && ((value) => Array.isArray(value) && value.forEach(item));
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).flatMap((field) => {
      const check = checkOf(field as Input, `${type.name}.${field.name}`);
      return check ? [[field.name, check] as const] : [];
    });
    if (!fields.length) return null;
    return (value) => {
      if (value === null || value === undefined) return;
      for (const [name, check] of fields) check((value as Record<string, unknown>)[name]);
    };
  }
  if (!textScalars.has(getNamedType(type).name)) return null;
  const maxLength = itemLength ?? input.extensions?.jsonSchema?.maxLength;
  if (maxLength === undefined) throw new Error(`The text input ${where} has no length limit: give it extensions: rules({ maxLength })`);
  // A value with a pattern (an idempotency key) is a token, not text: its domain rule checks it whole,
  // more strictly than the text rule, and says what it must be.
  if (input.extensions?.jsonSchema?.pattern !== undefined) return null;
  const kind = input.extensions?.text ?? 'line';
  // One-line text is stored trimmed (a title, a name, a URL): what is trimmed away is not checked, and
  // blank text is left to the field's own rule ("Title is required").
  return (value) => {
    if (typeof value === 'string') checkText(input.name, label(input.name), kind === 'line' ? value.trim() : value, kind, maxLength);
  };
}

/**
 * Wraps every field that takes text (its resolver, or a subscription's subscribe) so that its text
 * is checked first, once the key may use the field: a key without the field's scope is refused by
 * scope-auth inside the wrapped resolver, whatever it sent. Returns the schema, changed in place.
 */
export function enforceTextRule(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const checks = field.args.flatMap((arg) => {
        const check = checkOf(arg as Input, `${type.name}.${field.name}(${arg.name})`);
        return check ? [[arg.name, check] as const] : [];
      });
      if (!checks.length || !isObjectType(type)) continue;
      // A subscription's arguments are checked once, when it starts, not on each event it yields.
      const hook = field.subscribe ? 'subscribe' : 'resolve';
      const run = field[hook];
      if (!run) throw new Error(`${type.name}.${field.name} takes text but has no resolver to check it in`);
      const scopes = fieldScopes(type.name, field.name);
      field[hook] = (source, args, context: Context, info) => {
        if (grants(context.principal?.scopes, scopes)) for (const [name, check] of checks) check(args[name]);
        return run(source, args, context, info);
      };
    }
  }
  return schema;
}
