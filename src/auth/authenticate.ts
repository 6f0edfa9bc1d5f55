import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.ts';
import { verifyApiKey, type Principal } from './keys.ts';
import { keyRevocations } from './revocations.ts';

export interface Authenticate {
  (authorization: string | null | undefined): Promise<Principal | null>;
  /** The principal when the key is verified and remembered, without touching the database; else undefined. */
  cached(authorization: string | null | undefined): Principal | undefined;
}

function bearerKey(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
}

/**
 * Resolves `Authorization: Bearer <key>` to the key's principal, or null when there is no header
 * or the key is not valid (the scope rules then answer UNAUTHENTICATED).
 *
 * Valid keys are remembered for `cacheTtlMs`, so a request costs no SQL for its key. A revoked
 * key stops working on the next request (its revocation is announced to every process,
 * ./revocations.ts), an expired one when it expires. Invalid keys are never cached, so guessing
 * cannot fill the memory.
 */
export function createAuthenticator(db: Db, { cacheTtlMs }: { cacheTtlMs: number }): Authenticate {
  const cache = cacheTtlMs > 0 ? new LRUCache<string, Principal>({ max: 10_000, ttl: cacheTtlMs }) : null;
  if (cache) {
    keyRevocations.on('revoked', (keyId) => {
      for (const [key, principal] of cache.entries()) if (principal.keyId === keyId) cache.delete(key);
    });
  }
  const remembered = (key: string) => {
    const principal = cache?.get(key);
    if (principal?.expiresAt && principal.expiresAt.getTime() <= Date.now()) return undefined;
    return principal;
  };
  const authenticate = async (authorization: string | null | undefined) => {
    const key = bearerKey(authorization);
    if (!key) return null;
    const cached = remembered(key);
    if (cached) return cached;
    const principal = await verifyApiKey(db, key);
    if (principal) cache?.set(key, principal);
    return principal;
  };
  const cached = (authorization: string | null | undefined) => {
    const key = bearerKey(authorization);
    return key ? remembered(key) : undefined;
  };
  return Object.assign(authenticate, { cached });
}
