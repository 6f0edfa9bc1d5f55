import type { TextKind } from '../domain/text.ts';

/**
 * A rule the domain enforces (a length, a range, a pattern), written on the GraphQL argument or
 * input field it governs as `extensions: rules({ maxLength: maxTitleLength })`. The REST face's
 * JSON Schema, hence its OpenAPI document, shows it (src/rest/v1/json-schema.ts). On a text input
 * (a String or URL, or a list of them through `items`) it is also the text rule's bound, and
 * `text` says which kind of text it is (src/graphql/text-inputs.ts): every text input must have one.
 */
export function rules(jsonSchema: Record<string, unknown>, text: TextKind = 'line') {
  return { jsonSchema, text };
}

export interface Rules {
  jsonSchema?: Record<string, unknown> & { maxLength?: number; pattern?: string; items?: { maxLength?: number } };
  text?: TextKind;
}
