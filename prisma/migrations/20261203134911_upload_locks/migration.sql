-- CreateTable
CREATE TABLE "upload_locks" (
    "id" TEXT NOT NULL,
    "holder" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upload_locks_pkey" PRIMARY KEY ("id")
);
