import { defineConfig } from 'prisma/config';

// The CLI is used only for `prisma generate`. Migrations go through src/db/migrate.ts (the
// WASM schema engine), so the native engine is never run; pointing the CLI at a placeholder
// stops it from trying to download one, which fails offline.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
