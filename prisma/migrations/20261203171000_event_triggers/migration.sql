-- The event log's writers (src/domain/events.ts): triggers record each change of an asset or a
-- library as an event in the statement that makes it, so an event commits exactly with its
-- change and costs no extra round trip. Written by hand: Prisma's schema does not describe triggers.

-- A time as JavaScript's toISOString() and the GraphQL DateTime scalar write it.
CREATE FUNCTION event_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- An asset as the GraphQL API shows it: its fields under their GraphQL names, the asset type in
-- GraphQL's spelling (upper case), the download and thumbnail paths of src/domain/files/downloads.ts.
CREATE FUNCTION asset_event_data(a assets) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', a.id,
    'assetType', upper(a.asset_type::text),
    'title', a.title,
    'slug', a.slug,
    'description', a.description,
    'libraryId', a.library_id,
    'isPublic', a.is_public,
    'downloadCount', a.download_count,
    'filePath', a.file_path,
    'fileSize', a.file_size,
    'mimeType', a.mime_type,
    'checksumSha256', a.checksum_sha256,
    'thumbnailPath', a.thumbnail_path,
    'downloadUrl', CASE WHEN a.file_path IS NOT NULL THEN '/api/v1/assets/' || a.id || '/download' END,
    'thumbnailUrl', CASE WHEN a.thumbnail_path IS NOT NULL THEN '/api/v1/assets/' || a.id || '/thumbnail' END,
    'pageCount', a.page_count,
    'wordCount', a.word_count,
    'width', a.width,
    'height', a.height,
    'durationSeconds', a.duration_seconds,
    'externalUrl', a.external_url,
    'videoEmbed', a.video_embed,
    'createdAt', event_time(a.created_at),
    'updatedAt', event_time(a.updated_at),
    'deletedAt', event_time(a.deleted_at)
  )
$$;

CREATE FUNCTION library_event_data(l libraries) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', l.id, 'name', l.name, 'slug', l.slug, 'description', l.description,
    'createdAt', event_time(l.created_at), 'updatedAt', event_time(l.updated_at)
  )
$$;

-- Records one event. The advisory lock, held to the commit, makes ids commit in their order: a
-- reader that saw id N has seen every event before it. NOTIFY (sent at commit) wakes the other
-- gateway processes that LISTEN (src/events/wakeups.ts).
CREATE FUNCTION record_event(p_workspace uuid, p_type text, p_object uuid, p_library uuid, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  new_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(1634170725);
  INSERT INTO events (workspace_id, type, object_id, library_id, data) VALUES (p_workspace, p_type, p_object, p_library, p_data) RETURNING id INTO new_id;
  PERFORM pg_notify('agw_events', new_id::text);
END
$$;

-- An asset created, deleted (soft), restored, or updated (its updated_at moved: every update the
-- API makes; a download's count or a search vector does not move it).
CREATE FUNCTION assets_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    kind := 'asset.created';
  ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
    kind := 'asset.deleted';
  ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
    kind := 'asset.restored';
  ELSIF NEW.deleted_at IS NULL THEN
    kind := 'asset.updated';
  ELSE
    RETURN NULL;
  END IF;
  PERFORM record_event(NEW.workspace_id, kind, NEW.id, NEW.library_id, asset_event_data(NEW));
  RETURN NULL;
END
$$;

CREATE TRIGGER assets_events_insert AFTER INSERT ON assets FOR EACH ROW EXECUTE FUNCTION assets_record_event();
CREATE TRIGGER assets_events_update AFTER UPDATE ON assets FOR EACH ROW
  WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
  EXECUTE FUNCTION assets_record_event();

CREATE FUNCTION libraries_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- A workspace being deleted takes its libraries along: no event for what is gone with it.
    IF EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN
      PERFORM record_event(OLD.workspace_id, 'library.deleted', OLD.id, OLD.id, library_event_data(OLD));
    END IF;
    RETURN NULL;
  END IF;
  PERFORM record_event(NEW.workspace_id, CASE TG_OP WHEN 'INSERT' THEN 'library.created' ELSE 'library.updated' END, NEW.id, NEW.id, library_event_data(NEW));
  RETURN NULL;
END
$$;

CREATE TRIGGER libraries_events AFTER INSERT OR UPDATE OR DELETE ON libraries FOR EACH ROW EXECUTE FUNCTION libraries_record_event();
