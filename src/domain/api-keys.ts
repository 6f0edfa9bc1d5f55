import { issueApiKey, revokeApiKey, type Principal } from '../auth/keys.ts';
import { allScopes } from '../auth/scopes.ts';
import type { Db } from '../db/client.ts';
import { ValidationError } from './errors.ts';
import { checkText } from './text.ts';

/**
 * Managing API keys over the API (scope `admin:keys`): a key manages the keys of its own
 * workspace only, and can hand out no scope it does not hold itself.
 */
export const maxKeyNameLength = 100;

export interface NewApiKey {
  name: string;
  scopes: readonly string[];
  expiresAt?: Date | null;
}

const publicFields = { prefix: true, name: true, scopes: true, createdAt: true, lastUsedAt: true, expiresAt: true, revokedAt: true } as const;

export async function createWorkspaceKey(db: Db, caller: Principal, input: NewApiKey) {
  const name = checkText('name', 'Name', input.name.trim(), 'line', maxKeyNameLength);
  if (!name) throw new ValidationError('name', 'Name is required');
  const scopes = [...new Set(input.scopes)];
  if (!scopes.length) throw new ValidationError('scopes', 'At least one scope is required');
  const unknown = scopes.find((scope) => !(allScopes as readonly string[]).includes(scope));
  if (unknown !== undefined) throw new ValidationError('scopes', `Unknown scope ${unknown.slice(0, 50)}; known scopes: ${allScopes.join(', ')}`);
  const notHeld = scopes.find((scope) => !caller.scopes.has(scope));
  if (notHeld) throw new ValidationError('scopes', `A key can only grant scopes it holds; this one lacks ${notHeld}`);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt', 'Expiry must be in the future');
  const { key, record } = await issueApiKey(db, { workspaceId: caller.workspaceId, name, scopes, expiresAt: input.expiresAt ?? null });
  const { prefix, createdAt, lastUsedAt, expiresAt, revokedAt } = record;
  return { key, apiKey: { prefix, name, scopes, createdAt, lastUsedAt, expiresAt, revokedAt } };
}

export function listWorkspaceKeys(db: Db, workspaceId: string) {
  return db.apiKey.findMany({ where: { workspaceId }, select: publicFields, orderBy: [{ createdAt: 'asc' }, { prefix: 'asc' }] });
}

/** The revoked key, or null when the workspace has no key with that prefix (another workspace's included). */
export async function revokeWorkspaceKey(db: Db, workspaceId: string, prefix: string) {
  const found = await db.apiKey.findFirst({ where: { workspaceId, prefix }, select: { id: true } });
  if (!found) return null;
  await revokeApiKey(db, prefix);
  return db.apiKey.findUniqueOrThrow({ where: { prefix }, select: publicFields });
}
