-- CreateTable
CREATE TABLE "slug_counters" (
    "workspace_id" UUID NOT NULL,
    "base" TEXT NOT NULL,
    "last" INTEGER NOT NULL,

    CONSTRAINT "slug_counters_pkey" PRIMARY KEY ("workspace_id","base")
);

-- AddForeignKey
ALTER TABLE "slug_counters" ADD CONSTRAINT "slug_counters_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
