import { createHash } from 'node:crypto';
import { isUniqueClash } from '../db/prisma-errors.ts';
import { ConflictError, ValidationError } from './errors.ts';

/**
 * Idempotent creates: a client that retries a create with the same key (REST `Idempotency-Key`,
 * GraphQL `idempotencyKey`) gets the object the first attempt created, never a second one.
 *
 * The key and a fingerprint of the input are stored in the created row itself, under a unique
 * index per workspace: the key is taken in the very statement that creates the object, so a
 * crash cannot leave one without the other (no separate record to commit alongside). Keys are
 * kept as long as the object: reusing one for another input is refused for good.
 */
export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** What an earlier create with the key left: its object's id, fingerprint, and whether it was deleted since. */
export interface EarlierCreate {
  id: string;
  idempotencyFingerprint: string | null;
  deletedAt: Date | null;
}

/** What a key may be: 1 to 255 visible ASCII characters, as Stripe and the IETF draft use (the OpenAPI document states it from here). */
export const idempotencyKeyRule = { maxLength: 255, pattern: '^[\\x21-\\x7e]+$' } as const;
const keyPattern = new RegExp(idempotencyKeyRule.pattern);

/** Checks the client's key and fingerprints the input it names. */
export function idempotencyOf(key: string | null | undefined, input: object): Idempotency | null {
  if (key == null) return null;
  if (key.length > idempotencyKeyRule.maxLength || !keyPattern.test(key)) {
    throw new ValidationError('idempotencyKey', `Idempotency key must be 1 to ${idempotencyKeyRule.maxLength} visible ASCII characters`);
  }
  return { key, fingerprint: createHash('sha256').update(canonicalJson(input)).digest('hex') };
}

/** JSON with sorted keys and no null or absent fields (for a create, null and absent mean the same). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field != null)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Creates in flight in this process, by workspace and key: a concurrent retry is told so (409). */
const inFlight = new Set<string>();

/**
 * Runs `create` once per workspace and key. A retry with the same input answers the earlier
 * object (`load`); another input with the key is refused (400, naming the key). While the first
 * attempt is still running in this process, a retry answers 409; one sent to another gateway
 * process waits on the unique index instead, and then answers the earlier object.
 */
export async function createOnce<T>(
  workspaceId: string,
  idempotency: Idempotency | null,
  operations: { findEarlier(key: string): Promise<EarlierCreate | null>; create(): Promise<T>; load(id: string): Promise<T> },
  noun: string,
): Promise<T> {
  if (!idempotency) return operations.create();
  const flight = `${workspaceId}\u0000${idempotency.key}`;
  if (inFlight.has(flight)) throw new ConflictError('A request with this idempotency key is still in progress; retry once it has finished');
  inFlight.add(flight);
  try {
    const earlier = await operations.findEarlier(idempotency.key);
    if (earlier) return await replay(earlier);
    try {
      return await operations.create();
    } catch (error) {
      const raced = isUniqueClash(error, 'idempotency_key') ? await operations.findEarlier(idempotency.key) : null;
      if (!raced) throw error;
      return await replay(raced);
    }
  } finally {
    inFlight.delete(flight);
  }

  function replay(earlier: EarlierCreate): Promise<T> {
    if (earlier.idempotencyFingerprint !== idempotency!.fingerprint) {
      throw new ValidationError('idempotencyKey', 'Idempotency key was already used with a different request');
    }
    if (earlier.deletedAt) throw new ConflictError(`The ${noun} created with this idempotency key has been deleted since`);
    return operations.load(earlier.id);
  }
}
