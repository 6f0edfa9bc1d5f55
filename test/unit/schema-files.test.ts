import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pendingSchemaChange } from '../../src/db/migrate.ts';
import { printSortedSchema } from '../../src/graphql/schema.ts';

describe('committed files match the code', () => {
  it('schema.graphql is the schema printed from code (run `npm run generate` after changing types)', async () => {
    const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSortedSchema());
  });

  it('the committed migrations produce exactly prisma/schema.prisma (run `npm run db:migration -- <name>`)', async () => {
    expect(await pendingSchemaChange()).toBeNull();
  });
});
