import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.ts';
import { verifyApiKey, type Principal } from './keys.ts';

export type Authenticate = (authorization: string | null | undefined) => Promise<Principal | null>;

/**
 * Resolves `Authorization: Bearer <key>` to the key's principal, or null when there is no header
 * or the key is not valid (the scope rules then answer UNAUTHENTICATED).
 *
 * Valid keys are remembered for `cacheTtlMs`, so a request costs no SQL for its key; a revoked
 * or expired key therefore stops working within that time on every server. Invalid keys are
 * never cached, so guessing cannot fill the memory.
 */
export function createAuthenticator(db: Db, { cacheTtlMs }: { cacheTtlMs: number }): Authenticate {
  const cache = cacheTtlMs > 0 ? new LRUCache<string, Principal>({ max: 10_000, ttl: cacheTtlMs }) : null;
  return async (authorization) => {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return null;
    const key = match[1];
    const cached = cache?.get(key);
    if (cached) return cached;
    const principal = await verifyApiKey(db, key);
    if (principal) cache?.set(key, principal);
    return principal;
  };
}
