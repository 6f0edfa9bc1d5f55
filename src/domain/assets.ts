import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { isRecordNotFound } from '../db/prisma-errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { AssetType } from '../generated/prisma/enums.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { claimUpload, prepareFile, type PreparedFile } from './files/attach.ts';
import type { Files } from './files/index.ts';
import { isUuid } from './ids.ts';
import { joiningLibrary, libraryToJoin } from './libraries.ts';
import { applyPatch } from './patch.ts';
import { eventsCommitted } from './events.ts';
import { createOnce, idempotencyOf } from './idempotency.ts';
import { insertWithUniqueSlug, slugBase } from './slugs.ts';
import { checkText } from './text.ts';

/** The rules of assets, shared by every face of the API. */

export const maxTitleLength = 500;
export const maxDescriptionLength = 10_000;
/** Browsers and CDNs commonly stop at ~2,000 characters; longer URLs are not links anyone can use. */
export const maxExternalUrlLength = 2048;
export const maxSearchLength = 200;
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
    checkText('search', 'Search', filter.search, 'line', maxSearchLength);
    // Prisma passes `contains` to ILIKE as is: escape its wildcards so every character is literal.
    const literal = filter.search.replace(/[\\%_]/g, '\\$&');
    where.OR = [{ title: { contains: literal, mode: 'insensitive' } }, { description: { contains: literal, mode: 'insensitive' } }];
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
 * by one only to be dropped (`npm run bench:scale`, bench/RESULTS-archive.md). Shallower pages stay one
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
 * A place in a list's order, as a connection's cursor carries it: an asset's id and, for the
 * order it was read in, that asset's sort value. It is a position, not a reference: the asset
 * need not be in the list any more (deleted, or never of this workspace).
 */
export interface AssetPosition {
  id: string;
  sort?: AssetSort;
  value?: Date | string;
}

/**
 * Rows of a cursor page: those after (or, for a negative `take`, before) the position in the
 * list's order. The keyset is written here rather than left to Prisma's `cursor`, which writes
 * `(sort = X AND id <= Y) OR sort < X` and skips one row: PostgreSQL can only filter that row
 * by row from the top of the list, and the skipped row is a wrong one when the cursor's asset
 * is no longer in the list. `sort <= X` beside it lets the order's index start at the position,
 * so a page costs one statement at any depth. A position without the value of this sort (a
 * cursor of another sort, or an id-only cursor, plugin-prisma's own format, which clients may hold)
 * reads it from the asset first, which must then be one of the workspace (a deleted one still
 * marks its place); any other is refused like a malformed cursor.
 */
export async function findAssetsAfterCursor<Q extends Omit<Prisma.AssetFindManyArgs, 'where' | 'orderBy' | 'cursor' | 'skip'>>(
  db: Db,
  workspaceId: string,
  filter: AssetFilter,
  sort: AssetSort = 'createdAt',
  order: SortOrder = 'desc',
  position: AssetPosition | undefined,
  query: Q,
) {
  const where = visibleAssets(workspaceId, filter);
  if (position) {
    const backward = (query.take ?? 0) < 0;
    const at = await sortValueAt(db, workspaceId, sort, position);
    if (!at) throw new ValidationError(backward ? 'before' : 'after', 'Invalid cursor');
    const { id, value } = at;
    const up = backward !== (order === 'asc'); // whether the page lies at higher values than the position
    where.AND = [
      { [sort]: up ? { gte: value } : { lte: value } },
      { OR: [{ [sort]: up ? { gt: value } : { lt: value } }, { [sort]: value, id: up ? { gt: id } : { lt: id } }] },
    ];
  }
  return db.asset.findMany({ ...query, where, orderBy: assetOrder(sort, order) });
}

async function sortValueAt(db: Db, workspaceId: string, sort: AssetSort, position: AssetPosition) {
  if (!isUuid(position.id)) return null;
  if (position.sort === sort && position.value !== undefined) return { id: position.id, value: position.value };
  const asset = await db.asset.findFirst({ where: { id: position.id, workspaceId }, select: { id: true, createdAt: true, title: true, updatedAt: true } });
  return asset && { id: asset.id, value: asset[sort] };
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
  /** The library the asset joins; null for none. */
  libraryId?: string | null;
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

/** A YouTube or Vimeo id: anything else in its place is not a video link. */
const youtubeId = /^[\w-]+$/;
const vimeoId = /^\d+$/;

/** YouTube's start time, `t=42`, `t=42s`, `t=1m30s`, `t=1h2m3s` or `start=42`, in seconds; 0 when absent or unreadable. */
function youtubeStart(url: URL): number {
  const value = url.searchParams.get('t') ?? url.searchParams.get('start') ?? '';
  const parts = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(value);
  if (!parts) return 0;
  const [, hours = '0', minutes = '0', seconds = '0'] = parts;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/**
 * `https://youtube.com/embed/ID` (with `?start=` when the link starts later) for YouTube's watch,
 * Shorts, live and youtu.be links, the player URL for Vimeo's, null for anything else. Hosts are
 * matched exactly on the parsed URL: the packages that find ids in a link's text (get-video-id)
 * take notyoutube.com or a YouTube link in a query string for YouTube's, and js-video-url-parser
 * knows no Shorts.
 */
export function videoEmbedFor(url: URL): string | null {
  const host = url.hostname.replace(/^(www\.|m\.)/, '');
  const segments = url.pathname.split('/').slice(1);
  let id: string | null | undefined;
  if (host === 'youtube.com') {
    id = segments[0] === 'watch' && segments.length === 1 ? url.searchParams.get('v') : /^(shorts|live|embed)$/.test(segments[0]) ? segments[1] : null;
  } else if (host === 'youtu.be') {
    id = segments[0];
  } else if (host === 'vimeo.com' || (host === 'player.vimeo.com' && segments[0] === 'video')) {
    id = host === 'vimeo.com' ? segments[0] : segments[1];
    return id && vimeoId.test(id) ? `https://player.vimeo.com/video/${id}` : null;
  }
  if (!id || !youtubeId.test(id)) return null;
  const start = youtubeStart(url);
  return `https://youtube.com/embed/${id}${start ? `?start=${start}` : ''}`;
}

/** Checks a create request and returns the columns to store. */
export function validateNewAsset(input: NewAsset) {
  const title = input.title?.trim() ?? '';
  if (!title) throw new ValidationError('title', 'Title is required');
  checkText('title', 'Title', title, 'line', maxTitleLength);
  const description = input.description?.trim() || null;
  if (description) checkText('description', 'Description', description, 'multiline', maxDescriptionLength);
  if (!input.assetType) throw new ValidationError('assetType', 'Asset type is required');
  const assetType = input.assetType;

  let externalUrl: string | null = null;
  let videoEmbed: string | null = null;
  const rawUrl = input.externalUrl?.trim();
  if (rawUrl) {
    checkText('externalUrl', 'External URL', rawUrl, 'line', maxExternalUrlLength);
    const url = absoluteHttpUrl(rawUrl);
    if (!url) throw new ValidationError('externalUrl', 'External URL must be an absolute http or https URL');
    externalUrl = rawUrl;
    if (assetType === 'external_video') videoEmbed = videoEmbedFor(url);
  } else if (typesWithExternalUrl.has(assetType)) {
    throw new ValidationError('externalUrl', `External URL is required for ${assetType} assets`);
  }

  // Checked against the workspace's uploads when the asset is created (./files/attach.ts).
  const filePath = input.filePath != null ? input.filePath.trim() : null;

  return {
    title,
    description,
    assetType,
    externalUrl,
    videoEmbed,
    filePath,
    isPublic: input.isPublic ?? false,
  };
}

type AssetQuery = { select?: Prisma.AssetSelect; include?: Prisma.AssetInclude };

/**
 * Creates an asset with a slug unique in its workspace (./slugs.ts), in a library if one is given,
 * from an upload if a file path is given: the file is read (metadata, thumbnail) before the asset
 * exists, and a file that fails creates nothing. With an idempotency key, at most once
 * (./idempotency.ts): a retry answers the asset the first attempt created.
 */
export async function createAsset(db: Db, workspaceId: string, input: NewAsset, query: AssetQuery, files: Files, idempotencyKey?: string | null) {
  const data = validateNewAsset(input);
  const idempotency = idempotencyOf(idempotencyKey, input);
  const asset = await createOnce(
    workspaceId,
    idempotency,
    {
      findEarlier: (key) =>
        db.asset.findFirst({ where: { workspaceId, idempotencyKey: key }, select: { id: true, idempotencyFingerprint: true, deletedAt: true } }),
      create: () =>
        insertAsset(
          db,
          workspaceId,
          { ...data, idempotencyKey: idempotency?.key, idempotencyFingerprint: idempotency?.fingerprint },
          input.libraryId,
          query,
          files,
        ),
      load: (id) => db.asset.findUniqueOrThrow({ ...query, where: { id } }),
    },
    'asset',
  );
  // Its event was written by the insert itself (./events.ts): wake the readers.
  eventsCommitted(db);
  return asset;
}

type NewAssetColumns = ReturnType<typeof validateNewAsset> & { idempotencyKey?: string; idempotencyFingerprint?: string };

async function insertAsset(db: Db, workspaceId: string, data: NewAssetColumns, libraryIdInput: string | null | undefined, query: AssetQuery, files: Files) {
  const libraryId = await libraryToJoin(db, workspaceId, libraryIdInput);
  const file = data.filePath !== null ? await prepareFile(db, files, workspaceId, data.assetType, data.filePath) : null;
  try {
    return await joiningLibrary(
      insertWithUniqueSlug(db, workspaceId, slugBase(data.title), (slug) =>
        file
          ? createWithFile(db, file, { ...data, libraryId, slug, workspaceId }, query)
          : db.asset.create({ ...query, data: { ...data, libraryId, slug, workspaceId } }),
      ),
    );
  } catch (error) {
    await file?.discard();
    throw error;
  }
}

/** The asset, its upload's attachment and its text commit together, so that an upload serves one asset. */
function createWithFile(
  db: Db,
  file: PreparedFile,
  data: NewAssetColumns & { slug: string; workspaceId: string; libraryId: string | null | undefined },
  query: AssetQuery,
) {
  return db.$transaction(async (tx) => {
    const id = randomUUID();
    const asset = await tx.asset.create({ ...query, data: { ...data, ...file.columns, id } });
    await claimUpload(tx, file.uploadId, id);
    // Its trigger adds the text to the asset's search vector (src/domain/search.ts).
    if (file.text) await tx.assetText.create({ data: { assetId: id, ...file.text } });
    return asset;
  });
}

export const assetNotFound = () => new NotFoundError('Asset not found');

/** The columns a partial update is checked against: what a create sets, file aside. */
const writableColumns = { title: true, description: true, assetType: true, externalUrl: true, isPublic: true } as const;

/**
 * A partial update under exactly the create rules: the patch is laid over the current values
 * and the result checked by validateNewAsset, so e.g. a new URL re-derives the video embed and a
 * link cannot lose its URL. The type cannot change (its metadata would not fit), nor can the file
 * (a new file is a new asset). The slug stays as given at creation, so links to it keep working.
 */
export async function updateAsset(db: Db, workspaceId: string, id: string, patch: NewAsset, query: AssetQuery = {}) {
  const current = isUuid(id) ? await db.asset.findFirst({ where: { ...visibleAssets(workspaceId), id }, select: writableColumns }) : null;
  if (!current) throw assetNotFound();
  if (patch.assetType !== undefined && patch.assetType !== current.assetType) {
    throw new ValidationError('assetType', 'Asset type cannot change; create a new asset of the other type');
  }
  if (patch.filePath !== undefined) {
    throw new ValidationError('filePath', 'File path cannot change; create a new asset to change its file');
  }
  const { filePath: _file, ...data } = validateNewAsset(applyPatch<NewAsset>(current, { ...patch, libraryId: undefined }));
  const libraryId = await libraryToJoin(db, workspaceId, patch.libraryId);
  try {
    return eventsCommitted(db, await joiningLibrary(db.asset.update({ ...query, where: { id, workspaceId, deletedAt: null }, data: { ...data, libraryId } })));
  } catch (error) {
    throw isRecordNotFound(error) ? assetNotFound() : error;
  }
}

/**
 * Soft delete: the asset leaves every list, total, lookup, library and collection at once, and
 * keeps its row (slug included) for restoreAsset. Deleting it again answers not found.
 */
export async function deleteAsset(db: Db, workspaceId: string, id: string, query: AssetQuery = {}) {
  if (!isUuid(id)) throw assetNotFound();
  try {
    return eventsCommitted(db, await db.asset.update({ ...query, where: { id, workspaceId, deletedAt: null }, data: { deletedAt: new Date() } }));
  } catch (error) {
    throw isRecordNotFound(error) ? assetNotFound() : error;
  }
}

/** Brings a deleted asset back, slug and all. Restoring an asset that is not deleted changes nothing and answers it. */
export async function restoreAsset(db: Db, workspaceId: string, id: string, query: AssetQuery = {}) {
  if (!isUuid(id)) throw assetNotFound();
  const { count } = await db.asset.updateMany({ where: { id, workspaceId, deletedAt: { not: null } }, data: { deletedAt: null } });
  if (count) eventsCommitted(db);
  const asset = await db.asset.findFirst({ ...query, where: { ...visibleAssets(workspaceId), id } });
  if (!asset) throw assetNotFound();
  return asset;
}
