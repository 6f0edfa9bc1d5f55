import { thumbnailKey } from './downloads.ts';
import { buffer } from 'node:stream/consumers';
import type { Db } from '../../db/client.ts';
import { walkAssets } from '../asset-walk.ts';
import { StorageUnavailableError } from '../errors.ts';
import type { Files } from './index.ts';
import { readPlaceholder } from './placeholders.ts';

/**
 * Gives a placeholder (./placeholders.ts) to the image and PDF assets created before they were
 * read at extraction: each is read from the asset's stored thumbnail (the picture extraction reads
 * it from), so no file is parsed again. One asset, one UPDATE: the server may serve meanwhile,
 * and a run stopped halfway resumes with the assets still without one.
 */
export interface PlaceholderProgress {
  done: number;
  total: number;
  /** Thumbnails that could not be read (missing, corrupt): left without a placeholder. */
  unreadable: number;
}

/** Thumbnails read at once. */
const readers = 2;

export async function backfillPlaceholders(db: Db, files: Files, onProgress: (progress: PlaceholderProgress) => void = () => {}): Promise<PlaceholderProgress> {
  const lacking = { assetType: { in: ['image' as const, 'pdf' as const] }, thumbhash: null, thumbnailPath: { not: null }, upload: { isNot: null } };
  const progress: PlaceholderProgress = { done: 0, total: await db.asset.count({ where: lacking }), unreadable: 0 };
  onProgress({ ...progress });
  await walkAssets(
    db,
    lacking,
    { upload: { select: { id: true } } },
    readers,
    async ({ id, upload }) => {
      const placeholder = await readFromThumbnail(files, thumbnailKey(upload!.id));
      if (placeholder) await db.asset.updateMany({ where: { id, thumbhash: null }, data: placeholder });
      else progress.unreadable++;
      progress.done++;
    },
    () => onProgress({ ...progress }),
  );
  return progress;
}

/** The placeholder of a stored thumbnail, or null when it cannot be read; a store that does not answer stops the run. */
async function readFromThumbnail(files: Files, key: string) {
  try {
    return await readPlaceholder(await buffer(files.storage.open(key)), files.limits);
  } catch (error) {
    if (error instanceof StorageUnavailableError) throw error;
    return null;
  }
}
