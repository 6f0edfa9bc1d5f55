// The data set of `npm run bench:scale`, as SQL that runs on PostgreSQL and on PGlite alike:
// one large workspace (`scale`, 1,000,000 assets by default) and 9 small ones of 10,000, so the
// workspace filter matters. Ids are md5-derived, so every run holds the very same rows.
//
// Words the workloads search for:
//   `zephyr`  rare: in the titles of exactly 8 assets of the large workspace (1 in 125,000)
//   `report`  common: in the title of every 10th asset (10 %), and in a few descriptions more
export const SCALE_WORKSPACE_ID = '00000000-0000-4000-8000-00000000c000';
export const smallWorkspaceId = (i) => `00000000-0000-4000-8000-00000000c00${i}`;
export const SMALL_WORKSPACES = 9;
export const SMALL_ASSETS = 10_000;
export const RARE_WORD = 'zephyr';
export const COMMON_WORD = 'report';

/** Assets of one workspace: `n` rows whose md5 seeds start with `tag`. */
function assetsSql(workspaceId, tag, n) {
  return `
INSERT INTO assets (id, workspace_id, title, slug, description, asset_type, file_size, mime_type,
                    page_count, external_url, download_count, is_public, created_at, updated_at, deleted_at)
SELECT md5('${tag}-' || g)::uuid,
       '${workspaceId}',
       (ARRAY['Annual','Quarterly','Draft','Final','Internal','Public','Archived'])[g % 7 + 1]
         || ' ' ||
       CASE WHEN g % 125000 = 7 THEN '${RARE_WORD}'
            WHEN g % 10 = 3 THEN 'Report'
            ELSE (ARRAY['plan','notes','slides','summary','diagram','budget','guide','photo','clip','memo','sketch'])[g % 11 + 1] END
         || ' ' || g,
       '${tag}-' || g,
       CASE WHEN g % 10 = 0 THEN NULL
            WHEN g % 997 = 0 THEN 'Mentioned in the yearly report, item ' || g
            ELSE 'Description of item ' || g || ' in collection ' || (g % 13) END,
       (ARRAY['pdf','document','image','video','external_video','audio','link','collection','git'])[g % 9 + 1]::asset_type,
       (g * 1013) % 50000000,
       'application/octet-stream',
       CASE WHEN g % 9 = 0 THEN g % 300 + 1 END,
       -- external_video and link assets always have their URL (the create rules require it)
       CASE WHEN g % 9 = 4 THEN 'https://youtube.com/watch?v=v' || g WHEN g % 9 = 6 THEN 'https://example.com/link/' || g END,
       g % 1000,
       g % 3 = 0,
       -- pairs of rows share a timestamp, so the id tie-break is exercised
       TIMESTAMPTZ '2024-01-01T00:00:00Z' + (g / 2) * INTERVAL '1 second',
       TIMESTAMPTZ '2024-01-01T00:00:00Z' + (g / 2) * INTERVAL '1 second',
       CASE WHEN g % 499 = 0 THEN TIMESTAMPTZ '2025-06-01T00:00:00Z' END
FROM generate_series(1, ${n}) AS g;`;
}

/**
 * The seed, to run on a freshly migrated database. The per-row trigger that keeps asset_counts is
 * disabled while the rows go in, and the counts are then computed once, as the migration that
 * created them does for existing rows.
 */
export function scaleSeedSql(assets) {
  const workspaces = [[SCALE_WORKSPACE_ID, 'scale'], ...Array.from({ length: SMALL_WORKSPACES }, (_, i) => [smallWorkspaceId(i + 1), `scale-${i + 1}`])];
  return `
BEGIN;
INSERT INTO workspaces (id, slug, name, created_at) VALUES
${workspaces.map(([id, slug]) => `  ('${id}', '${slug}', '${slug}', '2024-01-01T00:00:00Z')`).join(',\n')};
ALTER TABLE assets DISABLE TRIGGER assets_count_visible;
-- The list workloads do not search content (the search part seeds a database of its own): these
-- rows get no search vector.
ALTER TABLE assets DISABLE TRIGGER assets_search_index;
-- Secondary indexes are built once after the rows are in, which is far faster than keeping them
-- (the trigram ones above all) up to date row by row; the migrations' definitions are reused.
CREATE TEMP TABLE seed_indexes ON COMMIT DROP AS
  SELECT indexname, indexdef FROM pg_indexes
  WHERE schemaname = 'public' AND tablename = 'assets' AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%';
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexname FROM seed_indexes LOOP EXECUTE format('DROP INDEX %I', r.indexname); END LOOP;
END $$;
${assetsSql(SCALE_WORKSPACE_ID, 'scale', assets)}
${workspaces
  .slice(1)
  .map(([id, slug]) => assetsSql(id, slug, SMALL_ASSETS))
  .join('\n')}
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexdef FROM seed_indexes LOOP EXECUTE r.indexdef; END LOOP;
END $$;
ALTER TABLE assets ENABLE TRIGGER assets_count_visible;
ALTER TABLE assets ENABLE TRIGGER assets_search_index;
DELETE FROM asset_counts;
INSERT INTO asset_counts (workspace_id, asset_type, visible)
SELECT workspace_id, asset_type, count(*) FROM assets WHERE deleted_at IS NULL GROUP BY 1, 2;
COMMIT;
`;
}

/** Run on its own after the seed: VACUUM cannot run inside a multi-statement string. */
export const afterSeedSql = 'VACUUM ANALYZE';

/** For PostGraphile: substring search over title or description (it has no ILIKE filter without a plugin). */
export const scalePostgraphileSql = `
CREATE SCHEMA IF NOT EXISTS bench_pg;
CREATE OR REPLACE FUNCTION bench_pg.search_visible(ws uuid, term text)
RETURNS SETOF assets LANGUAGE sql STABLE AS $$
  SELECT * FROM assets
  WHERE workspace_id = ws AND deleted_at IS NULL
    AND (title ILIKE '%' || term || '%' OR description ILIKE '%' || term || '%')
  ORDER BY created_at DESC, id DESC
$$;
`;
