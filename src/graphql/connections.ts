import { ValidationError } from '../domain/errors.ts';

/**
 * A Relay connection pages forwards (`first`/`after`) or backwards (`last`/`before`); both at once
 * has no clear meaning, and Pothos would quietly apply one of them.
 */
export function refuseFirstWithLast(args: { first?: number | null; last?: number | null }): void {
  if (args.first != null && args.last != null) throw new ValidationError('last', 'Pass either first or last, not both');
}
