import { ValidationError } from './errors.ts';

/**
 * What text the API accepts, decided once for every field and both faces.
 *
 * - NUL (U+0000) never: PostgreSQL cannot store it (it used to surface as a 500).
 * - Lone UTF-16 surrogates never: they are not characters and cannot be stored as UTF-8.
 * - Other control characters (C0, DEL, C1): refused in one-line text (titles, URLs, search);
 *   multi-line text (descriptions) keeps tab, line feed and carriage return.
 * - Bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) are refused in one-line text:
 *   they let a title display differently from what it says ("Trojan Source"), and right-to-left
 *   titles need none of them. Descriptions keep them (long bidi prose may use them).
 */
export type TextKind = 'line' | 'multiline';

const unstorable = /[\0]|\p{Cs}/u;
const lineForbidden = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const multilineForbidden = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/;

/** Whether PostgreSQL can store `value` as text at all (whatever the field's own rules). */
export function isStorable(value: string): boolean {
  return !unstorable.test(value);
}

/** The reason `value` is not acceptable text of that kind, or null when it is. */
export function textProblem(value: string, kind: TextKind): string | null {
  if (!isStorable(value)) return 'must not contain NUL characters or unpaired surrogates';
  if (kind === 'line' && lineForbidden.test(value)) return 'must not contain control characters or bidirectional overrides';
  if (kind === 'multiline' && multilineForbidden.test(value)) return 'must not contain control characters other than tab and line breaks';
  return null;
}

/**
 * Refuses `value` unless it is acceptable text of that kind and at most `maxLength` characters
 * (code points, as a user counts them). `label` starts the message: "Title", "Description".
 */
export function checkText(field: string, label: string, value: string, kind: TextKind, maxLength: number): string {
  const problem = textProblem(value, kind);
  if (problem) throw new ValidationError(field, `${label} ${problem}`);
  if (!withinLength(value, maxLength)) throw new ValidationError(field, `${label} must be at most ${maxLength} characters`);
  return value;
}

/** Whether `value` has at most `maxLength` code points. */
export function withinLength(value: string, maxLength: number): boolean {
  // Cheap bound first: a string of n UTF-16 units has at least n/2 code points.
  return value.length <= maxLength || (value.length <= 2 * maxLength && [...value].length <= maxLength);
}
