import { ValidationError } from './errors.ts';

/**
 * Every object's id is a UUID, unique across all kinds of object: clients use it as their cache
 * key, and `node(id)` finds the object by it alone. A string that is not a UUID names nothing.
 */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** `value` when it is a UUID, else a ValidationError naming `field` ("Library ID must be a UUID"). */
export function checkUuid(field: string, label: string, value: string): string {
  if (!isUuid(value)) throw new ValidationError(field, `${label} must be a UUID`);
  return value;
}
