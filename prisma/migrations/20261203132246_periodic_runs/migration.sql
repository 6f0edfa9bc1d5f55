-- CreateTable
CREATE TABLE "periodic_runs" (
    "name" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "periodic_runs_pkey" PRIMARY KEY ("name")
);
