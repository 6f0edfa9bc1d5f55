import { randomBytes } from 'node:crypto';
import slugify from 'slugify';
import type { Db } from '../db/client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { AssetType } from '../generated/prisma/enums.ts';
import { ValidationError } from './errors.ts';
import { isUuid } from './ids.ts';

/** The rules of assets, shared by every face of the API. */

export const maxTitleLength = 500;
export const maxPerPage = 100;
export const defaultPerPage = 20;
/** The nine asset types, in the order the contract lists them. */
export const assetTypes = ['pdf', 'document', 'image', 'video', 'external_video', 'audio', 'link', 'collection', 'git'] as const satisfies readonly AssetType[];
const typesWithExternalUrl: ReadonlySet<AssetType> = new Set(['external_video', 'link']);

/** Sort keys as clients name them (snake_case, like the asset types) → the column they order by. */
export const assetSorts = { created_at: 'createdAt', title: 'title', updated_at: 'updatedAt' } as const;
export type AssetSort = (typeof assetSorts)[keyof typeof assetSorts];
export const sortOrders = ['asc', 'desc'] as const;
export type SortOrder = (typeof sortOrders)[number];

export interface AssetFilter {
  assetType?: AssetType | null;
  search?: string | null;
}

/** Row filter applied to every read: the caller's workspace, never deleted rows. */
export function visibleAssets(workspaceId: string, filter: AssetFilter = {}): Prisma.AssetWhereInput {
  const where: Prisma.AssetWhereInput = { workspaceId, deletedAt: null };
  if (filter.assetType) where.assetType = filter.assetType;
  if (filter.search) {
    // Prisma passes `contains` to ILIKE as is: escape its wildcards so every character is literal.
    const literal = filter.search.replace(/[\\%_]/g, '\\$&');
    where.OR = [
      { title: { contains: literal, mode: 'insensitive' } },
      { description: { contains: literal, mode: 'insensitive' } },
    ];
  }
  return where;
}

/**
 * How many assets a list with this filter holds. Without a search the answer is kept ready in
 * asset_counts (a trigger maintains it), so a total costs no scan; a search counts its matches.
 */
export async function countAssets(db: Db, workspaceId: string, filter: AssetFilter = {}): Promise<number> {
  if (filter.search) return db.asset.count({ where: visibleAssets(workspaceId, filter) });
  const where: Prisma.AssetCountWhereInput = { workspaceId };
  if (filter.assetType) where.assetType = filter.assetType;
  const { _sum } = await db.assetCount.aggregate({ where, _sum: { visible: true } });
  return _sum.visible ?? 0;
}

/** Stable order: ties are broken by id in the same direction. */
export function assetOrder(sort: AssetSort = 'createdAt', order: SortOrder = 'desc'): Prisma.AssetOrderByWithRelationInput[] {
  return [{ [sort]: order }, { id: order }];
}

/**
 * From this offset on, a page reads the ids it shows first and then their rows: the skipped rows
 * are then entries of the order's partial index alone (an index-only scan), not rows fetched one
 * by one only to be dropped (`npm run bench:scale`, bench/RESULTS.md). Shallower pages stay one
 * statement.
 */
export const deepOffset = 1000;

export interface AssetPageQuery {
  where: Prisma.AssetWhereInput;
  orderBy: Prisma.AssetOrderByWithRelationInput[];
  skip: number;
  take: number;
}

/** The rows of one offset page, with the selection (`query`) plugin-prisma built. */
export async function findAssetPage<Q extends { select?: Prisma.AssetSelect; include?: Prisma.AssetInclude }>(db: Db, page: AssetPageQuery, query: Q) {
  const { where, orderBy, skip, take } = page;
  if (skip < deepOffset) return db.asset.findMany({ ...query, where, orderBy, skip, take });
  const ids = (await db.asset.findMany({ select: { id: true }, where, orderBy, skip, take })).map((row) => row.id);
  return db.asset.findMany({ ...query, where: { id: { in: ids } }, orderBy });
}

/**
 * Rows of a cursor page: those after (or, paging backwards, before) the cursor's asset in the
 * list's order. plugin-prisma hands Prisma the cursor, which writes it as `(sort = X AND id <= Y)
 * OR sort < X` and skips one row: PostgreSQL can only filter that row by row from the top of the
 * list, and the skipped row is a wrong one when the cursor's asset is no longer in the list. So
 * the keyset is written here instead, with `sort <= X` beside it so that the order's index starts
 * at the cursor: a page costs the same at any depth. The cursor must name an asset of the
 * workspace (a deleted one still marks its place); any other id is refused like a malformed cursor.
 */
export async function findAssetsAfterCursor<Q extends Omit<Prisma.AssetFindManyArgs, 'where' | 'orderBy'>>(
  db: Db,
  workspaceId: string,
  filter: AssetFilter,
  sort: AssetSort = 'createdAt',
  order: SortOrder = 'desc',
  { cursor, skip: _skip, ...query }: Q,
) {
  const where = visibleAssets(workspaceId, filter);
  if (cursor?.id !== undefined) {
    const backward = (query.take ?? 0) < 0;
    const at = isUuid(cursor.id) ? await db.asset.findFirst({ where: { id: cursor.id, workspaceId }, select: { id: true, [sort]: true } }) : null;
    if (!at) throw new ValidationError(backward ? 'before' : 'after', 'Invalid cursor');
    const value = at[sort as keyof typeof at];
    const up = backward !== (order === 'asc'); // whether the page lies at higher values than the cursor
    where.AND = [
      { [sort]: up ? { gte: value } : { lte: value } },
      { OR: [{ [sort]: up ? { gt: value } : { lt: value } }, { [sort]: value, id: up ? { gt: at.id } : { lt: at.id } }] },
    ];
  }
  return db.asset.findMany({ ...query, where, orderBy: assetOrder(sort, order) });
}

export interface PageRequest {
  page?: number | null;
  perPage?: number | null;
}

/** Page numbers start at 1; perPage above the maximum is clamped, not refused. */
export function resolvePage({ page, perPage }: PageRequest) {
  const p = page ?? 1;
  const n = perPage ?? defaultPerPage;
  if (!Number.isSafeInteger(p) || p < 1) throw new ValidationError('page', 'Page must be an integer of at least 1');
  if (!Number.isSafeInteger(n) || n < 1) throw new ValidationError('perPage', 'Per page must be an integer of at least 1');
  const perPageClamped = Math.min(n, maxPerPage);
  return { page: p, perPage: perPageClamped, skip: (p - 1) * perPageClamped };
}

export interface NewAsset {
  title?: string | null;
  description?: string | null;
  assetType?: AssetType | null;
  externalUrl?: string | null;
  isPublic?: boolean | null;
  filePath?: string | null;
}

/** The one rule for URLs clients give us: absolute, http or https. */
export function absoluteHttpUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** `https://youtube.com/embed/ID` for YouTube, the player URL for Vimeo, null for anything else. */
export function videoEmbedFor(url: URL): string | null {
  const host = url.hostname.replace(/^(www\.|m\.)/, '');
  if (host === 'youtube.com' && url.pathname === '/watch') {
    const id = url.searchParams.get('v');
    return id ? `https://youtube.com/embed/${encodeURIComponent(id)}` : null;
  }
  if (host === 'youtu.be') {
    const id = url.pathname.slice(1).split('/')[0];
    return id ? `https://youtube.com/embed/${encodeURIComponent(id)}` : null;
  }
  if (host === 'vimeo.com') {
    const id = /^\/(\d+)/.exec(url.pathname)?.[1];
    return id ? `https://player.vimeo.com/video/${id}` : null;
  }
  return null;
}

/** Checks a create request and returns the columns to store. */
export function validateNewAsset(input: NewAsset) {
  const title = input.title?.trim() ?? '';
  if (!title) throw new ValidationError('title', 'Title is required');
  if ([...title].length > maxTitleLength) {
    throw new ValidationError('title', `Title must be at most ${maxTitleLength} characters`);
  }
  if (!input.assetType) throw new ValidationError('assetType', 'Asset type is required');
  const assetType = input.assetType;

  let externalUrl: string | null = null;
  let videoEmbed: string | null = null;
  const rawUrl = input.externalUrl?.trim();
  if (rawUrl) {
    const url = absoluteHttpUrl(rawUrl);
    if (!url) throw new ValidationError('externalUrl', 'External URL must be an absolute http or https URL');
    externalUrl = rawUrl;
    if (assetType === 'external_video') videoEmbed = videoEmbedFor(url);
  } else if (typesWithExternalUrl.has(assetType)) {
    throw new ValidationError('externalUrl', `External URL is required for ${assetType} assets`);
  }

  let filePath: string | null = null;
  if (input.filePath != null) {
    filePath = input.filePath.trim();
    // Only files under /uploads/ are ours to point at; no way out of it.
    if (!/^\/uploads\/[^\0]+$/.test(filePath) || filePath.split('/').includes('..')) {
      throw new ValidationError('filePath', 'File path must be a path under /uploads/');
    }
  }

  return {
    title,
    description: input.description?.trim() || null,
    assetType,
    externalUrl,
    videoEmbed,
    filePath,
    isPublic: input.isPublic ?? false,
  };
}

export function slugBase(title: string): string {
  // Underscores separate words too ("product_guide" → product-guide); strict drops them otherwise.
  const slug = slugify(title.replace(/_/g, ' '), { lower: true, strict: true, trim: true }).slice(0, 200).replace(/-+$/, '');
  return slug || 'asset';
}

const maxSlugAttempts = 20;

/**
 * Creates an asset with a slug unique in its workspace: `base`, then `base-2`, `base-3` …
 * Each create takes the next number for its base from an atomic counter (one upsert), so 50
 * concurrent "Demo"s get demo … demo-50 without locks or transactions. A number already taken
 * by another title ("Demo 2" is demo-2 too) makes the insert clash, and the next number is tried.
 */
export async function createAsset(
  db: Db,
  workspaceId: string,
  input: NewAsset,
  query: { select?: Prisma.AssetSelect; include?: Prisma.AssetInclude } = {},
) {
  const data = validateNewAsset(input);
  const base = slugBase(data.title);
  for (let attempt = 1; ; attempt++) {
    const [{ last }] = await db.$queryRaw<{ last: number }[]>`
      INSERT INTO slug_counters (workspace_id, base, last) VALUES (${workspaceId}::uuid, ${base}, 1)
      ON CONFLICT (workspace_id, base) DO UPDATE SET last = slug_counters.last + 1
      RETURNING last`;
    // After many clashes (slugs written by other means), a random suffix ends the search.
    const slug = attempt > maxSlugAttempts ? `${base}-${randomBytes(4).toString('hex')}` : last === 1 ? base : `${base}-${last}`;
    try {
      return await db.asset.create({ ...query, data: { ...data, slug, workspaceId } });
    } catch (error) {
      const clash = error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
      if (!clash || attempt > maxSlugAttempts) throw error;
    }
  }
}
