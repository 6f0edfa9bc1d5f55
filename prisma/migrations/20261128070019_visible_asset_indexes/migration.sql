-- DropIndex
DROP INDEX "assets_workspace_id_asset_type_created_at_idx";

-- DropIndex
DROP INDEX "assets_workspace_id_created_at_id_idx";

-- DropIndex
DROP INDEX "assets_workspace_id_title_id_idx";

-- DropIndex
DROP INDEX "assets_workspace_id_updated_at_id_idx";

-- CreateIndex
CREATE INDEX "assets_visible_created_idx" ON "assets"("workspace_id", "created_at" DESC, "id" DESC) WHERE (deleted_at IS NULL);

-- CreateIndex
CREATE INDEX "assets_visible_updated_idx" ON "assets"("workspace_id", "updated_at", "id") WHERE (deleted_at IS NULL);

-- CreateIndex
CREATE INDEX "assets_visible_title_idx" ON "assets"("workspace_id", "title", "id") WHERE (deleted_at IS NULL);

-- CreateIndex
CREATE INDEX "assets_visible_type_created_idx" ON "assets"("workspace_id", "asset_type", "created_at" DESC, "id" DESC) WHERE (deleted_at IS NULL);

-- CreateIndex
CREATE INDEX "assets_visible_type_title_idx" ON "assets"("workspace_id", "asset_type", "title", "id") WHERE (deleted_at IS NULL);
