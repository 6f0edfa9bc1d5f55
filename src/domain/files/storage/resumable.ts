import type { DataStore } from '@tus/utils';
import type { ResumableStore } from './index.ts';

/** Resumable uploads are named by UUIDs we generate: nothing else names one (no path, no other object). */
export const resumableName = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The key area of resumable uploads in a store, beside `files/` and `thumbnails/`. */
export const resumableArea = 'tus/';

/**
 * A ResumableStore from a store's own parts: its tus data store, how names map to upload ids,
 * how an upload is removed, and how the names of the uploads it holds are listed.
 */
export function resumableStore(parts: {
  datastore: DataStore;
  idOf(name: string): string;
  remove(name: string): Promise<void>;
  listNames(): Promise<string[]>;
}): ResumableStore {
  const { datastore, idOf, remove } = parts;
  return {
    datastore,
    idOf,
    nameOf: (id) => id.slice(id.lastIndexOf('/') + 1),
    keyOf: (name) => resumableArea + name,
    remove,
    // tus's own expiry removes only unfinished uploads (and the S3 store's lists the whole bucket):
    // a finished one whose upload row was never made (a crash) would stay forever.
    async removeExpired(olderThanMs) {
      const before = Date.now() - olderThanMs;
      let removed = 0;
      for (const name of await parts.listNames()) {
        if (!resumableName.test(name)) continue;
        const upload = await datastore.getUpload(idOf(name)).catch(() => null);
        const created = upload?.creation_date ? Date.parse(upload.creation_date) : Number.NaN;
        if (upload && !(created >= before)) {
          await remove(name);
          removed++;
        }
      }
      return removed;
    },
  };
}
