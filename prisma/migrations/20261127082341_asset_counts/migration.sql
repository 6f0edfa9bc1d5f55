-- CreateTable
CREATE TABLE "asset_counts" (
    "workspace_id" UUID NOT NULL,
    "asset_type" "asset_type" NOT NULL,
    "visible" INTEGER NOT NULL,

    CONSTRAINT "asset_counts_pkey" PRIMARY KEY ("workspace_id","asset_type")
);

-- AddForeignKey
ALTER TABLE "asset_counts" ADD CONSTRAINT "asset_counts_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Keep asset_counts in step with assets. Visible means not deleted, the same rule as
-- visibleAssets() in src/domain/assets.ts; a test compares both after creates and deletes.
CREATE FUNCTION "assets_count_visible"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."deleted_at" IS NULL THEN
    UPDATE "asset_counts" SET "visible" = "visible" - 1
    WHERE "workspace_id" = OLD."workspace_id" AND "asset_type" = OLD."asset_type";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW."deleted_at" IS NULL THEN
    INSERT INTO "asset_counts" ("workspace_id", "asset_type", "visible") VALUES (NEW."workspace_id", NEW."asset_type", 1)
    ON CONFLICT ("workspace_id", "asset_type") DO UPDATE SET "visible" = "asset_counts"."visible" + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "assets_count_visible"
AFTER INSERT OR DELETE OR UPDATE OF "deleted_at", "asset_type", "workspace_id" ON "assets"
FOR EACH ROW EXECUTE FUNCTION "assets_count_visible"();

-- Assets that exist already.
INSERT INTO "asset_counts" ("workspace_id", "asset_type", "visible")
SELECT "workspace_id", "asset_type", count(*) FROM "assets" WHERE "deleted_at" IS NULL GROUP BY 1, 2;
