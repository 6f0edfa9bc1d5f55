import { setFlagsFromString } from 'node:v8';
import { buildApp } from './app.ts';
import { allScopes } from './auth/scopes.ts';
import { countApiKeys, createApiKey } from './auth/keys.ts';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';

function fail(error: Error): never {
  console.error(`error: ${error.message}`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error as Error);
}
// On a PostgreSQL server the only WebAssembly here is Prisma's query compiler, which plans each
// query shape once (Prisma caches the plans): V8's optimizing tier would compile the whole module
// again for ~30-70 MB of memory and no measurable gain (bench/RESULTS.md). Embedded PGlite runs
// PostgreSQL itself in WebAssembly, hot on every query, so it keeps the optimizing tier.
if (config.databaseUrl) setFlagsFromString('--liftoff-only');
const database = await openDatabase(config).catch(fail);
const app = await buildApp({ config, db: database.db });

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info(`${signal}: closing`);
  try {
    await app.close();
    await database.close();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Listen first: a start that cannot serve (the port is taken) must not create and print a key.
try {
  await app.listen({ port: config.port, host: config.host });
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  await database.close();
  process.exit(1);
}

// A newcomer can call the API at once: the very first start creates a key with every scope.
if ((await countApiKeys(database.db)) === 0) {
  const { key } = await createApiKey(database.db, { name: 'first key', scopes: [...allScopes] });
  const base = `http://${config.host}:${config.port}`;
  console.log(`\nCreated a first API key with every scope. It is shown once; keep it:\n\n  ${key}\n`);
  console.log(`Try it: curl -H "Authorization: Bearer ${key}" ${base}/api/v1/assets\n`);
}
console.log(`assets-gateway: GraphQL (GraphiQL in a browser) at http://${config.host}:${config.port}/graphql, REST at /api/v1`);
