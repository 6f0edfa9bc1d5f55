-- AlterTable
ALTER TABLE "assets" ADD COLUMN     "search_vector" tsvector;

-- CreateTable
CREATE TABLE "asset_texts" (
    "asset_id" UUID NOT NULL,
    "pages" TEXT[],
    "paged" BOOLEAN NOT NULL,

    CONSTRAINT "asset_texts_pkey" PRIMARY KEY ("asset_id")
);

-- CreateTable
CREATE TABLE "search_words" (
    "workspace_id" UUID NOT NULL,
    "word" TEXT NOT NULL,

    CONSTRAINT "search_words_pkey" PRIMARY KEY ("workspace_id","word")
);

-- CreateTable
CREATE TABLE "search_settings" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "language" TEXT NOT NULL,

    CONSTRAINT "search_settings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "search_words_word_trgm_idx" ON "search_words" USING GIN ("word" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "assets_search_idx" ON "assets" USING GIN ("search_vector");

-- AddForeignKey
ALTER TABLE "asset_texts" ADD CONSTRAINT "asset_texts_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "assets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "search_words" ADD CONSTRAINT "search_words_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The text search configuration of every vector and query (SEARCH_LANGUAGE, written at start).
INSERT INTO "search_settings" ("id", "language") VALUES (true, 'english');

CREATE FUNCTION "search_language"() RETURNS regconfig LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT "language"::regconfig FROM "search_settings"), 'english'::regconfig)
$$;

-- An asset's search vector: title A, description B, stored text C. A tsvector holds at most 1 MB;
-- text whose vector would not fit is halved until it does, so a create never fails on its text.
CREATE FUNCTION "asset_search_vector"(lang regconfig, title text, description text, pages text[]) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
  content text := array_to_string(pages, E'\n');
  fields tsvector := setweight(to_tsvector(lang, coalesce(title, '')), 'A') || setweight(to_tsvector(lang, coalesce(description, '')), 'B');
BEGIN
  -- Without text (most assets), no exception block: entering one costs a subtransaction.
  IF content IS NULL THEN
    RETURN fields;
  END IF;
  LOOP
    BEGIN
      RETURN fields || setweight(to_tsvector(lang, content), 'C');
    EXCEPTION WHEN program_limit_exceeded THEN
      content := left(content, length(content) / 2);
    END;
  END LOOP;
END
$$;

-- The words of a text, unstemmed, into the workspace's vocabulary for the typo fallback.
-- PL/pgSQL keeps the statement's plan across calls (an SQL function plans it on every call: 10×
-- the cost, measured on creates); words already there are skipped before the insert.
CREATE FUNCTION "search_words_add"(workspace uuid, body text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "search_words" ("workspace_id", "word")
  SELECT workspace, w FROM unnest(tsvector_to_array(to_tsvector('simple', body))) AS w
  WHERE char_length(w) BETWEEN 3 AND 40 AND w ~ '[[:alpha:]]'
    AND NOT EXISTS (SELECT 1 FROM "search_words" s WHERE s."workspace_id" = workspace AND s."word" = w)
  ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION "assets_search_index"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."search_vector" := asset_search_vector(search_language(), NEW."title", NEW."description",
    (SELECT "pages" FROM "asset_texts" WHERE "asset_id" = NEW."id"));
  PERFORM search_words_add(NEW."workspace_id", NEW."title" || ' ' || coalesce(NEW."description", ''));
  RETURN NEW;
END
$$;

CREATE TRIGGER "assets_search_index"
BEFORE INSERT OR UPDATE OF "title", "description" ON "assets"
FOR EACH ROW EXECUTE FUNCTION "assets_search_index"();

CREATE FUNCTION "asset_texts_search_index"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  workspace uuid;
BEGIN
  UPDATE "assets" SET "search_vector" = asset_search_vector(search_language(), "title", "description", NEW."pages")
  WHERE "id" = NEW."asset_id" RETURNING "workspace_id" INTO workspace;
  PERFORM search_words_add(workspace, array_to_string(NEW."pages", E'\n'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "asset_texts_search_index"
AFTER INSERT OR UPDATE ON "asset_texts"
FOR EACH ROW EXECUTE FUNCTION "asset_texts_search_index"();
