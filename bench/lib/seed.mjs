// The deterministic data set, as SQL that runs on PostgreSQL 15 and on PGlite alike.
// 100 libraries and 100k assets in workspace `bench`; ids are md5-derived UUIDs, so every
// run and every engine holds the very same rows.
import { createHash } from 'node:crypto';

export const WORKSPACE_ID = '00000000-0000-4000-8000-0000000000b1';
export const WRITE_WORKSPACE_ID = '00000000-0000-4000-8000-0000000000b2';
export const ASSETS = Number(process.env.BENCH_ASSETS || 100_000);
export const LIBRARIES = 100;
/** Asset whose id the get-by-id workload asks for. */
export const GET_ASSET_N = 4242;
/** The id the seed gives asset n (md5('asset-' || n)::uuid), computed here. */
export function assetId(n) {
  const h = createHash('md5').update(`asset-${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
/** The asset the get workloads read. */
export const GET_ID = assetId(GET_ASSET_N);

export const seedSql = `
BEGIN;
INSERT INTO workspaces (id, slug, name, created_at) VALUES
  ('${WORKSPACE_ID}', 'bench', 'bench', '2024-01-01T00:00:00Z'),
  ('${WRITE_WORKSPACE_ID}', 'bench-write', 'bench-write', '2024-01-01T00:00:00Z');

INSERT INTO libraries (id, workspace_id, name, slug, description, created_at)
SELECT md5('library-' || g)::uuid, '${WORKSPACE_ID}', 'Library ' || g, 'library-' || g,
       'Deterministic library number ' || g, TIMESTAMPTZ '2024-01-01T00:00:00Z' + g * INTERVAL '1 hour'
FROM generate_series(1, ${LIBRARIES}) AS g;

INSERT INTO assets (id, workspace_id, library_id, title, slug, description, asset_type,
                    file_path, file_size, mime_type, page_count, width, height, duration_seconds,
                    external_url, download_count, is_public, created_at, updated_at, deleted_at)
SELECT md5('asset-' || g)::uuid,
       '${WORKSPACE_ID}',
       CASE WHEN g % 50 = 0 THEN NULL ELSE md5('library-' || (g % ${LIBRARIES} + 1))::uuid END,
       (ARRAY['Annual','Quarterly','Draft','Final','Internal','Public','Archived'])[g % 7 + 1]
         || ' ' ||
       CASE WHEN g % 29 = 0 THEN 'Report'
            ELSE (ARRAY['plan','notes','slides','summary','diagram','budget','guide','photo','clip','memo','sketch'])[g % 11 + 1] END
         || ' ' || g,
       'asset-' || g,
       CASE WHEN g % 10 = 0 THEN NULL
            WHEN g % 97 = 0 THEN 'Contains the yearly report for item ' || g
            ELSE 'Description of item ' || g || ' in collection ' || (g % 13) END,
       (ARRAY['pdf','document','image','video','external_video','audio','link','collection','git'])[g % 9 + 1]::asset_type,
       CASE WHEN g % 9 IN (4, 6) THEN NULL ELSE '/uploads/bench/' || g || '.bin' END,
       CASE WHEN g % 9 IN (4, 6) THEN NULL ELSE (g * 1013) % 50000000 END,
       (ARRAY['application/pdf','text/plain','image/png','video/mp4',NULL,'audio/mpeg',NULL,'application/zip','application/x-git'])[g % 9 + 1],
       CASE WHEN g % 9 = 0 THEN g % 300 + 1 END,
       CASE WHEN g % 9 = 2 THEN 1920 END,
       CASE WHEN g % 9 = 2 THEN 1080 END,
       CASE WHEN g % 9 IN (3, 5) THEN (g % 3600)::float8 END,
       CASE WHEN g % 9 = 4 THEN 'https://youtube.com/watch?v=v' || g
            WHEN g % 9 = 6 THEN 'https://example.com/link/' || g END,
       g % 1000,
       g % 3 = 0,
       -- pairs of rows share a timestamp, so the id tie-break is exercised
       TIMESTAMPTZ '2024-01-01T00:00:00Z' + (g / 2) * INTERVAL '1 minute',
       TIMESTAMPTZ '2024-01-01T00:00:00Z' + (g / 2) * INTERVAL '1 minute',
       CASE WHEN g % 499 = 0 THEN TIMESTAMPTZ '2025-01-01T00:00:00Z' END
FROM generate_series(1, ${ASSETS}) AS g;
COMMIT;
ANALYZE;
`;

/** For PostGraphile: a search function (it has no ILIKE filter without a plugin), in its own schema. */
export const postgraphileSql = `
CREATE SCHEMA IF NOT EXISTS bench_pg;
CREATE OR REPLACE FUNCTION bench_pg.search_assets(ws uuid, kind asset_type, term text)
RETURNS SETOF assets LANGUAGE sql STABLE AS $$
  SELECT * FROM assets
  WHERE workspace_id = ws AND deleted_at IS NULL AND asset_type = kind
    AND (title ILIKE '%' || term || '%' OR description ILIKE '%' || term || '%')
  ORDER BY created_at DESC, id DESC
$$;
`;
