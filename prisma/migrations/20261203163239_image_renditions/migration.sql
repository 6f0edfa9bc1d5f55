-- AlterTable
ALTER TABLE "assets" ADD COLUMN     "dominant_color" TEXT,
ADD COLUMN     "thumbhash" TEXT;

-- CreateTable
CREATE TABLE "url_signing_secrets" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "url_signing_secrets_pkey" PRIMARY KEY ("id")
);
