import type { Db } from '../db/client.ts';
import { verifyApiKey, type Principal } from './keys.ts';

/**
 * The principal behind an `Authorization: Bearer <key>` header; null when there is no header
 * or the key is not valid (the scope rules then answer UNAUTHENTICATED).
 */
export async function authenticate(db: Db, authorization: string | null | undefined): Promise<Principal | null> {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? verifyApiKey(db, match[1]) : null;
}
