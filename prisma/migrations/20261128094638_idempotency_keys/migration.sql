-- AlterTable
ALTER TABLE "assets" ADD COLUMN     "idempotency_fingerprint" TEXT,
ADD COLUMN     "idempotency_key" TEXT;

-- AlterTable
ALTER TABLE "libraries" ADD COLUMN     "idempotency_fingerprint" TEXT,
ADD COLUMN     "idempotency_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "assets_idempotency_key_key" ON "assets"("workspace_id", "idempotency_key") WHERE (idempotency_key IS NOT NULL);

-- CreateIndex
CREATE UNIQUE INDEX "libraries_idempotency_key_key" ON "libraries"("workspace_id", "idempotency_key") WHERE (idempotency_key IS NOT NULL);
