import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { announceRevocation } from './revocations.ts';
import type { Scope } from './scopes.ts';

/**
 * API keys look like `agk_<12-char prefix>_<43-char secret>`. The prefix is public (lists,
 * revocation); the database keeps only the SHA-256 of the whole key, compared in constant time.
 */
const keyPattern = /^(agk_[A-Za-z0-9_-]{12})_[A-Za-z0-9_-]{43}$/;
export const defaultWorkspaceSlug = 'default';

/** The public prefix of the key in an `Authorization: Bearer …` header (for logs), or undefined. */
export function keyPrefixOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(agk_[A-Za-z0-9_-]{12})_/i.exec(authorization ?? '')?.[1];
}
/** Writing last_used_at on every request would turn every read into a write; once a minute is enough. */
const lastUsedResolutionMs = 60_000;

export interface Principal {
  /** The API key's id: rate limits and revocations are per key. */
  keyId: string;
  workspaceId: string;
  scopes: ReadonlySet<string>;
  /** When the key stops working (a remembered principal is dropped then too). */
  expiresAt: Date | null;
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export async function ensureWorkspace(db: Db, slug: string) {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
    throw new Error(`Workspace slug "${slug}" must be lower-case letters, digits and -, at most 63 characters`);
  }
  return db.workspace.upsert({ where: { slug }, update: {}, create: { slug, name: slug } });
}

export async function createApiKey(db: Db, options: { name: string; scopes: Scope[]; workspace?: string }) {
  if (!options.name.trim()) throw new Error('A key name is required');
  const workspace = await ensureWorkspace(db, options.workspace ?? defaultWorkspaceSlug);
  const { key, record } = await issueApiKey(db, { workspaceId: workspace.id, name: options.name.trim(), scopes: options.scopes });
  return { key, record, workspace };
}

/** Stores a new key (its hash) and returns it: the only moment the whole key exists outside the client. */
export async function issueApiKey(db: Db, data: { workspaceId: string; name: string; scopes: string[]; expiresAt?: Date | null }) {
  const prefix = `agk_${randomBytes(9).toString('base64url')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  const record = await db.apiKey.create({ data: { ...data, prefix, secretHash: hashKey(key).toString('hex') } });
  return { key, record };
}

/** The principal for a presented key, or null for a malformed, unknown, revoked or expired one. */
export async function verifyApiKey(db: Db, presented: string): Promise<Principal | null> {
  const match = keyPattern.exec(presented);
  if (!match) return null;
  const record = await db.apiKey.findUnique({
    where: { prefix: match[1] },
    select: { id: true, workspaceId: true, secretHash: true, scopes: true, revokedAt: true, expiresAt: true, lastUsedAt: true },
  });
  if (!record) return null;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = hashKey(presented);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  const now = Date.now();
  if (record.revokedAt || (record.expiresAt && record.expiresAt.getTime() <= now)) return null;
  if (!record.lastUsedAt || now - record.lastUsedAt.getTime() > lastUsedResolutionMs) {
    // Bookkeeping only: a failed write must not fail the request.
    db.apiKey.update({ where: { id: record.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return { keyId: record.id, workspaceId: record.workspaceId, scopes: new Set(record.scopes), expiresAt: record.expiresAt };
}

export async function listApiKeys(db: Db) {
  return db.apiKey.findMany({
    select: {
      prefix: true,
      name: true,
      scopes: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
      expiresAt: true,
      workspace: { select: { slug: true } },
    },
    orderBy: [{ createdAt: 'asc' }, { prefix: 'asc' }],
  });
}

/** Returns false when no key has that prefix. Every process forgets the key at once (./revocations.ts). */
export async function revokeApiKey(db: Db, prefix: string): Promise<boolean> {
  const { count } = await db.apiKey.updateMany({ where: { prefix, revokedAt: null }, data: { revokedAt: new Date() } });
  const record = await db.apiKey.findUnique({ where: { prefix }, select: { id: true } });
  if (record) announceRevocation(record.id);
  return count > 0 || record !== null;
}

export async function countApiKeys(db: Db): Promise<number> {
  return db.apiKey.count();
}
