-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateEnum
CREATE TYPE "asset_type" AS ENUM ('pdf', 'document', 'image', 'video', 'external_video', 'audio', 'link', 'collection', 'git');

-- CreateTable
CREATE TABLE "workspaces" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspaces_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assets" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "library_id" UUID,
    "title" VARCHAR(500) NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT,
    "asset_type" "asset_type" NOT NULL,
    "file_path" TEXT,
    "file_size" BIGINT,
    "mime_type" TEXT,
    "checksum_sha256" TEXT,
    "thumbnail_path" TEXT,
    "page_count" INTEGER,
    "word_count" INTEGER,
    "width" INTEGER,
    "height" INTEGER,
    "duration_seconds" DOUBLE PRECISION,
    "external_url" TEXT,
    "video_embed" TEXT,
    "download_count" INTEGER NOT NULL DEFAULT 0,
    "is_public" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "assets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "libraries" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "libraries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "workspaces_slug_key" ON "workspaces"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE INDEX "api_keys_workspace_id_idx" ON "api_keys"("workspace_id");

-- CreateIndex
CREATE INDEX "assets_workspace_id_created_at_id_idx" ON "assets"("workspace_id", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "assets_workspace_id_updated_at_id_idx" ON "assets"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "assets_workspace_id_title_id_idx" ON "assets"("workspace_id", "title", "id");

-- CreateIndex
CREATE INDEX "assets_workspace_id_asset_type_created_at_idx" ON "assets"("workspace_id", "asset_type", "created_at");

-- CreateIndex
CREATE INDEX "assets_library_id_idx" ON "assets"("library_id");

-- CreateIndex
CREATE INDEX "assets_title_trgm_idx" ON "assets" USING GIN ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "assets_description_trgm_idx" ON "assets" USING GIN ("description" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "assets_workspace_id_slug_key" ON "assets"("workspace_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "libraries_workspace_id_slug_key" ON "libraries"("workspace_id", "slug");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assets" ADD CONSTRAINT "assets_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assets" ADD CONSTRAINT "assets_library_id_fkey" FOREIGN KEY ("library_id") REFERENCES "libraries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "libraries" ADD CONSTRAINT "libraries_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
