import type { Principal } from '../../auth/keys.ts';
import { rootFieldScopes } from '../../auth/scopes.ts';
import type { Db } from '../../db/client.ts';
import type { Files } from './index.ts';

export type DownloadKind = 'file' | 'thumbnail';

export interface Download {
  storageKey: string;
  size: number;
  mimeType: string;
  /** Strong validator: the file's SHA-256 (its thumbnail is derived from it). */
  etag: string;
  /** For Content-Disposition: the name the file was uploaded with, or one made from the slug. */
  fileName: string;
  isPublic: boolean;
}

export type DownloadAnswer = { allowed: true; download: Download } | { allowed: false; reason: 'unauthenticated' | 'forbidden' | 'notFound' };

/** The REST route serving an asset's file or thumbnail (src/rest/v1/files.ts). */
export function downloadPath(assetId: string, kind: DownloadKind): string {
  return `/api/v1/assets/${assetId}/${kind === 'file' ? 'download' : 'thumbnail'}`;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Downloading an asset needs what reading it needs. */
const downloadScope = rootFieldScopes.Query.asset;

/**
 * Who may download an asset's file or thumbnail, written once: anyone when the asset is public;
 * otherwise a key of the asset's workspace with read:assets. Without a key, anything not public
 * (an unknown id included) asks for one; with a key, another workspace's private asset answers
 * like an unknown one.
 */
export async function findDownload(db: Db, files: Files, assetId: string, principal: Principal | null, kind: DownloadKind): Promise<DownloadAnswer> {
  const asset = uuid.test(assetId)
    ? await db.asset.findFirst({
        where: { id: assetId, deletedAt: null, ...(kind === 'file' ? { filePath: { not: null } } : { thumbnailPath: { not: null } }) },
        select: { workspaceId: true, isPublic: true, slug: true, upload: true },
      })
    : null;
  const found = asset?.upload ? asset : null;
  if (!found?.isPublic) {
    if (!principal) return { allowed: false, reason: 'unauthenticated' };
    if (!found || found.workspaceId !== principal.workspaceId) return { allowed: false, reason: 'notFound' };
    if (!principal.scopes.has(downloadScope)) return { allowed: false, reason: 'forbidden' };
  }
  const upload = found.upload!;
  if (kind === 'file') {
    const extension = upload.filePath.slice(upload.filePath.lastIndexOf('.'));
    return {
      allowed: true,
      download: {
        storageKey: upload.storageKey,
        size: Number(upload.fileSize),
        mimeType: upload.mimeType,
        etag: `"${upload.checksumSha256}"`,
        fileName: upload.originalName ?? `${found.slug}${extension}`,
        isPublic: found.isPublic,
      },
    };
  }
  const storageKey = `thumbnails/${upload.id}.webp`;
  const stat = await files.storage.stat(storageKey);
  if (!stat) return { allowed: false, reason: 'notFound' };
  return {
    allowed: true,
    download: {
      storageKey,
      size: stat.size,
      mimeType: 'image/webp',
      etag: `"${upload.checksumSha256}-thumbnail"`,
      fileName: `${found.slug}-thumbnail.webp`,
      isPublic: found.isPublic,
    },
  };
}

/** One more full download, counted by one atomic UPDATE (no read-modify-write, so concurrent GETs all count). */
export async function countDownload(db: Db, assetId: string): Promise<void> {
  await db.$executeRaw`UPDATE assets SET download_count = download_count + 1 WHERE id = ${assetId}::uuid`;
}
