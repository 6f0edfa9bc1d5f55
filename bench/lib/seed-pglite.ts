// Seeds an embedded PGlite data dir the way the gateway would open it:
//   node --import tsx bench/lib/seed-pglite.ts <DATA_DIR> [scale <assets>]   (cwd: the root, for its tsx)
// Without `scale`, the data set of `npm run bench` (./seed.mjs); with it, that of `bench:scale`;
// `search <assets> <with text>` that of bench:scale's content search (./scale-search.mjs).
// Migrations through the gateway's own engine, then the bench SQL on the raw PGlite instance.
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { openEngine } from '../../src/db/engine.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { lockDataDir } from '../../src/db/lock.ts';
// @ts-expect-error plain .mjs module without types
import { afterSeedSql, scaleSeedSql } from './scale-seed.mjs';
// @ts-expect-error plain .mjs module without types
import { searchSeedSql } from './scale-search.mjs';
// @ts-expect-error plain .mjs module without types
import { seedSql } from './seed.mjs';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: seed-pglite.ts <DATA_DIR>');
const engine = await openEngine({ dataDir, poolSize: 1 });
try {
  await applyMigrations(engine.adapterFactory);
} finally {
  await engine.close();
}
const location = join(dataDir, 'pglite');
const release = await lockDataDir(location);
try {
  const db = await PGlite.create(location, { extensions: { pg_trgm } });
  if (process.argv[3] === 'scale') {
    await db.exec(scaleSeedSql(Number(process.argv[4])));
    await db.exec(afterSeedSql);
  } else if (process.argv[3] === 'search') {
    await db.exec(searchSeedSql(Number(process.argv[4]), Number(process.argv[5])));
    await db.exec('VACUUM ANALYZE');
  } else {
    await db.exec(seedSql);
  }
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  console.error(`seeded ${rows[0].n} assets into ${location}`);
  await db.close();
} finally {
  await release();
}
process.exit(0);
