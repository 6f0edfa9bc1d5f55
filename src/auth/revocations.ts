import { EventEmitter } from 'node:events';

/**
 * Revoked keys must stop working on the next request, on every process, although verified keys
 * are remembered (KEY_CACHE_TTL_MS). A revocation is announced here: every authenticator of this
 * process forgets the key (`revoked`), and with Redis the announcement is published to the other
 * gateway processes (`announced`, src/http/access.ts), which emit `revoked` in turn.
 */
export const keyRevocations = new EventEmitter<{ revoked: [keyId: string]; announced: [keyId: string] }>();
// One listener per app (tests build many in one process).
keyRevocations.setMaxListeners(0);

export function announceRevocation(keyId: string) {
  keyRevocations.emit('revoked', keyId);
  keyRevocations.emit('announced', keyId);
}
