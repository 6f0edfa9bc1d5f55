import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { ValidationError } from '../errors.ts';

/**
 * Signed URLs: an asset's file, thumbnail or rendition, fetchable without a key (an `<img src>`
 * cannot send one) until the URL expires. The signature is HMAC-SHA256 over the path, the
 * normalised parameters and the expiry, with URL_SIGNING_SECRET, or, when it is unset, a secret
 * the first start of a deployment generates and keeps in the database (`url_signing_secrets`):
 * every process of the deployment reads the same one.
 */

/** expiresIn when a client gives none, and the most it may ask for (seconds). */
export const defaultExpiresInSeconds = 3600;
export const maxExpiresInSeconds = 7 * 24 * 3600;
export const minExpiresInSeconds = 60;
/**
 * An expiry is rounded up to a multiple of this (or of expiresIn, when shorter), so that URLs
 * minted for the same asset within that window are the same URL and browsers and CDNs reuse what
 * they fetched; a URL therefore lives between expiresIn and twice that (at most expiresIn + 1 h).
 */
const expiryStepSeconds = 3600;

export interface UrlSigner {
  /** `path?query&exp=…&sig=…`, expiring `expiresIn` seconds from now (rounded up, see expiryStepSeconds). */
  sign(path: string, query: string, expiresIn?: number | null): string;
  /** Whether `sig` is this secret's signature of the path, query and expiry, and the expiry is still ahead. */
  /** A malformed `exp` or `sig` (or one missing) is a ValidationError naming it. */
  verify(path: string, query: string, exp: unknown, sig: unknown): 'valid' | 'expired' | 'invalid';
}

/** The holder every request reads: the secret is loaded once the database is open (buildApp). */
export interface Signing {
  signer: UrlSigner | null;
}

/** The expiresIn a client asked for, checked (400 naming `expiresIn`), or the default. */
export function expiresInSeconds(expiresIn: number | null | undefined): number {
  if (expiresIn === null || expiresIn === undefined) return defaultExpiresInSeconds;
  if (!Number.isInteger(expiresIn) || expiresIn < minExpiresInSeconds || expiresIn > maxExpiresInSeconds) {
    throw new ValidationError('expiresIn', `expiresIn must be from ${minExpiresInSeconds} to ${maxExpiresInSeconds} seconds (7 days)`);
  }
  return expiresIn;
}

function message(path: string, query: string, exp: string): string {
  return `${path}\n${query}\n${exp}`;
}

/** How a signed URL writes its expiry (Unix seconds) and its signature (base64url of an HMAC-SHA256). */
export const signatureFormat = { exp: '^\\d{1,12}$', sig: '^[A-Za-z0-9_-]{43}$' } as const;
const signaturePatterns = { exp: new RegExp(signatureFormat.exp), sig: new RegExp(signatureFormat.sig) };

/**
 * A signed URL's `exp` and `sig` as this gateway writes them, else a ValidationError naming the
 * first that is malformed, or else the one that is missing.
 */
function checkSignatureFormat(exp: unknown, sig: unknown): asserts exp is string {
  const messages = {
    exp: 'exp must be the expiry a signed URL carries (Unix seconds)',
    sig: 'sig must be the signature a signed URL carries (43 characters of base64url)',
  };
  const given = { exp, sig };
  for (const name of ['exp', 'sig'] as const) {
    const value = given[name];
    if (value !== undefined && (typeof value !== 'string' || !signaturePatterns[name].test(value))) throw new ValidationError(name, messages[name]);
  }
  for (const name of ['exp', 'sig'] as const) if (given[name] === undefined) throw new ValidationError(name, messages[name]);
}

export function createSigner(secret: string, now: () => number = Date.now): UrlSigner {
  const mac = (text: string) => createHmac('sha256', secret).update(text).digest();
  return {
    sign(path, query, expiresIn) {
      const seconds = expiresInSeconds(expiresIn);
      const step = Math.min(expiryStepSeconds, seconds);
      const exp = String(Math.ceil((Math.floor(now() / 1000) + seconds) / step) * step);
      const sig = mac(message(path, query, exp)).toString('base64url');
      return `${path}?${query ? `${query}&` : ''}exp=${exp}&sig=${sig}`;
    },
    verify(path, query, exp, sig) {
      checkSignatureFormat(exp, sig);
      const expected = mac(message(path, query, exp));
      const given = Buffer.from(sig as string, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return Number(exp) * 1000 <= now() ? 'expired' : 'valid';
    },
  };
}

/**
 * URL_SIGNING_SECRET, else the deployment's generated secret: the first process to start inserts
 * one (ON CONFLICT DO NOTHING, so processes starting together agree on the row that won), and
 * every process reads the row.
 */
export async function loadSigningSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  // Raw: Prisma batches concurrent findUnique calls into an `in`, which a Boolean id does not take.
  const read = async () => (await db.$queryRaw<{ secret: string }[]>`SELECT secret FROM url_signing_secrets WHERE id`)[0]?.secret;
  // Every start after the first only reads (a start on a full disk writes nothing here).
  const kept = await read();
  if (kept) return kept;
  const candidate = randomBytes(32).toString('base64url');
  await db.$executeRaw`INSERT INTO url_signing_secrets (id, secret) VALUES (true, ${candidate}) ON CONFLICT (id) DO NOTHING`;
  const secret = await read();
  if (!secret) throw new Error('The URL signing secret could not be stored');
  return secret;
}
