import type { Db } from '../../db/client.ts';
import { isUuid } from '../ids.ts';
import type { Files } from './index.ts';

export type DownloadKind = 'file' | 'thumbnail';

/** Where an upload's thumbnail is kept in the file store. */
export const thumbnailKey = (uploadId: string) => `thumbnails/${uploadId}.webp`;

export interface Download {
  storageKey: string;
  size: number;
  mimeType: string;
  /** Strong validator: the file's SHA-256 (its thumbnail is derived from it). */
  etag: string;
  /** For Content-Disposition: the name the file was uploaded with, or one made from the slug. */
  fileName: string;
}

/** The REST route serving an asset's file or thumbnail (src/rest/v1/routes/files.ts). */
export function downloadPath(assetId: string, kind: DownloadKind): string {
  return `/api/v1/assets/${assetId}/${kind === 'file' ? 'download' : 'thumbnail'}`;
}

/**
 * An asset's stored file or thumbnail (`download` null when it has none), or null for no such
 * asset (unknown, deleted, or a malformed id). Who may have it is not decided here: anyone when
 * the asset is public; otherwise whoever GraphQL's `asset` field shows it to (the download route
 * asks it, so the scope, workspace and deletion rules are the same code on both faces).
 */
export async function findStoredFile(
  db: Db,
  files: Files,
  assetId: string,
  kind: DownloadKind,
): Promise<{ isPublic: boolean; download: Download | null } | null> {
  if (!isUuid(assetId)) return null;
  const found = await db.asset.findFirst({
    where: { id: assetId, deletedAt: null },
    select: { isPublic: true, slug: true, filePath: true, thumbnailPath: true, upload: true },
  });
  if (!found) return null;
  const { upload, isPublic } = found;
  if (!upload || (kind === 'file' ? !found.filePath : !found.thumbnailPath)) return { isPublic, download: null };
  if (kind === 'file') {
    // Asked of the store before any header is sent: a store that cannot serve the file answers 503 (StorageUnavailableError), never a cut response.
    if (!(await files.storage.stat(upload.storageKey))) throw new Error('An uploaded file is missing from storage');
    const extension = upload.filePath.slice(upload.filePath.lastIndexOf('.'));
    return {
      isPublic,
      download: {
        storageKey: upload.storageKey,
        size: Number(upload.fileSize),
        mimeType: upload.mimeType,
        etag: `"${upload.checksumSha256}"`,
        fileName: upload.originalName ?? `${found.slug}${extension}`,
      },
    };
  }
  const storageKey = thumbnailKey(upload.id);
  const stat = await files.storage.stat(storageKey);
  if (!stat) return { isPublic, download: null };
  return {
    isPublic,
    download: { storageKey, size: stat.size, mimeType: 'image/webp', etag: `"${upload.checksumSha256}-thumbnail"`, fileName: `${found.slug}-thumbnail.webp` },
  };
}

/** One more full download, counted by one atomic UPDATE (no read-modify-write, so concurrent GETs all count). */
export async function countDownload(db: Db, assetId: string): Promise<void> {
  await db.$executeRaw`UPDATE assets SET download_count = download_count + 1 WHERE id = ${assetId}::uuid`;
}
