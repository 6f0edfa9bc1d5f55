import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';

/**
 * A database of the test file's own: in-memory PGlite by default, or, when TEST_DATABASE_URL
 * is set, a new database on that PostgreSQL server, dropped afterwards. Every SQL statement
 * Prisma sends is recorded in `statements`.
 */
export interface TestDatabase extends Database {
  statements: string[];
  url: string | undefined;
}

export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

export async function openTestDatabase(): Promise<TestDatabase> {
  const statements: string[] = [];
  const onQuery = (sql: string) => void statements.push(sql);
  if (!serverUrl) {
    const database = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://', databasePoolSize: 1 }, { onQuery });
    return { ...database, statements, url: undefined };
  }
  const name = `ag_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', databasePoolSize: 10 }, { onQuery });
  return {
    ...database,
    statements,
    url: url.toString(),
    close: async () => {
      await database.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
