import { randomBytes } from 'node:crypto';
import slugify from 'slugify';
import type { Db } from '../db/client.ts';
import { isUniqueClash } from '../db/prisma-errors.ts';

/**
 * Slugs unique per workspace, for every kind of object that has one (assets, libraries): `base`,
 * then `base-2`, `base-3` … A slug is given once, at creation, and stays when the name changes,
 * so links built from it keep working.
 */

export function slugBase(text: string, fallback = 'asset'): string {
  // Underscores separate words too ("product_guide" → product-guide); strict drops them otherwise.
  const slug = slugify(text.replace(/_/g, ' '), { lower: true, strict: true, trim: true }).slice(0, 200).replace(/-+$/, '');
  return slug || fallback;
}

const maxSlugAttempts = 20;

/**
 * Inserts a row with a slug unique in its workspace. Each insert takes the next number for its
 * base from an atomic counter (one upsert), so 50 concurrent "Demo"s get demo … demo-50 without
 * locks or transactions. A number already taken by another name ("Demo 2" is demo-2 too) makes
 * the insert clash, and the next number is tried. `kind` keeps each kind's counters apart
 * (assets keep the bare base, as before libraries existed; a base never holds a colon).
 */
export async function insertWithUniqueSlug<T>(
  db: Db,
  workspaceId: string,
  base: string,
  insert: (slug: string) => Promise<T>,
  kind: '' | 'library:' = '',
): Promise<T> {
  const counter = `${kind}${base}`;
  for (let attempt = 1; ; attempt++) {
    const [{ last }] = await db.$queryRaw<{ last: number }[]>`
      INSERT INTO slug_counters (workspace_id, base, last) VALUES (${workspaceId}::uuid, ${counter}, 1)
      ON CONFLICT (workspace_id, base) DO UPDATE SET last = slug_counters.last + 1
      RETURNING last`;
    // After many clashes (slugs written by other means), a random suffix ends the search.
    const slug = attempt > maxSlugAttempts ? `${base}-${randomBytes(4).toString('hex')}` : last === 1 ? base : `${base}-${last}`;
    try {
      return await insert(slug);
    } catch (error) {
      if (!isUniqueClash(error, 'slug') || attempt > maxSlugAttempts) throw error;
    }
  }
}
