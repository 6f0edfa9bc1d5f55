import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql ships ESM and CJS; libraries that require() it (graphql-scalars) would otherwise
  // get a second copy under vitest, and graphql refuses types from "another realm".
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file opens its own database (an in-memory PGlite, or a fresh PostgreSQL database
    // when TEST_DATABASE_URL is set); starting PGlite takes a few seconds on these machines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
