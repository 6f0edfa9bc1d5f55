import type { Db } from '../db/client.ts';
import { walkAssets } from './asset-walk.ts';
import { StorageUnavailableError } from './errors.ts';
import { extractInWorker, maxWorkers } from './files/extract.ts';
import type { Files } from './files/index.ts';

/**
 * Indexes for content search the assets created before it existed: it re-reads the stored file
 * of each PDF and document that has no kept text (without making a thumbnail), then writes the
 * search vector of every asset that has none (or, with `all`, of every asset: after
 * SEARCH_LANGUAGE changed). Each asset is one statement of its own, so the server may serve
 * meanwhile, and a run stopped halfway resumes where it stopped: done assets are not done again.
 */
export interface BackfillOptions {
  /** Rewrite every asset's vector (a new SEARCH_LANGUAGE), not only those without one. */
  all?: boolean;
  /** Assets per statement of the vector phase. */
  batchSize?: number;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  phase: 'texts' | 'vectors';
  done: number;
  total: number;
  /** Files that could not be read (missing, corrupt): kept as having no text, so they are not read again. */
  unreadable: number;
}

export interface BackfillResult {
  texts: number;
  unreadable: number;
  vectors: number;
}

const textTypes = ['pdf', 'document'] as const;
/** Files read at once: the extraction workers' own limit. */
const readers = maxWorkers;

export async function backfillSearch(db: Db, files: Files, options: BackfillOptions = {}): Promise<BackfillResult> {
  const { onProgress = () => {}, batchSize = 500 } = options;
  const result: BackfillResult = { texts: 0, unreadable: 0, vectors: 0 };

  // Phase 1: the text of files read before it was kept.
  const lacking = { assetType: { in: [...textTypes] }, text: { is: null }, upload: { isNot: null } };
  const texts = await db.asset.count({ where: lacking });
  await walkAssets(
    db,
    lacking,
    { upload: { select: { storageKey: true, mimeType: true } } },
    readers,
    async ({ id, upload }) => {
      const text = await readText(files, upload!.storageKey, upload!.mimeType);
      if (!text) result.unreadable++;
      // A concurrent run may have kept it first: the first one stands.
      await db.assetText.createMany({ data: [{ assetId: id, ...(text ?? { pages: [], paged: false }) }], skipDuplicates: true });
      result.texts++;
    },
    () => onProgress({ phase: 'texts', done: result.texts, total: texts, unreadable: result.unreadable }),
  );

  // Phase 2: vectors (the text phase's trigger wrote those of the assets it read).
  const vectors = options.all
    ? await db.asset.count()
    : Number((await db.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM assets WHERE search_vector IS NULL`)[0].count);
  let last = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = options.all
      ? await db.$queryRaw<{ id: string }[]>`
          UPDATE assets a SET search_vector = asset_search_vector(search_language(), a.title, a.description, (SELECT t.pages FROM asset_texts t WHERE t.asset_id = a.id))
          WHERE a.id IN (SELECT id FROM assets WHERE id > ${last}::uuid ORDER BY id LIMIT ${batchSize})
          RETURNING a.id::text AS id`
      : await db.$queryRaw<{ id: string }[]>`
          WITH indexed AS (
            UPDATE assets a SET search_vector = asset_search_vector(search_language(), a.title, a.description, (SELECT t.pages FROM asset_texts t WHERE t.asset_id = a.id))
            WHERE a.id IN (SELECT id FROM assets WHERE search_vector IS NULL AND id > ${last}::uuid ORDER BY id LIMIT ${batchSize})
            RETURNING a.id, a.workspace_id, a.title, a.description
          )
          SELECT i.id::text AS id FROM indexed i, LATERAL search_words_add(i.workspace_id, i.title || ' ' || coalesce(i.description, ''))`;
    if (!rows.length) break;
    last = rows
      .map((row) => row.id)
      .sort()
      .at(-1)!;
    result.vectors += rows.length;
    onProgress({ phase: 'vectors', done: result.vectors, total: vectors, unreadable: result.unreadable });
  }
  return result;
}

/** The file's text, or null when it cannot be read (gone from the store, corrupt); a store that does not answer stops the run. */
async function readText(files: Files, storageKey: string, mime: string) {
  try {
    const { text } = await files.storage.withLocalFile(storageKey, (path) => extractInWorker(path, mime, files.limits, { thumbnail: false }));
    return text ?? null;
  } catch (error) {
    if (error instanceof StorageUnavailableError) throw error;
    return null;
  }
}
