// How much of a gateway request do the libraries it is built on cost by themselves? For each
// workload, in one process and in interleaved rounds (this machine's speed drifts, so only
// figures from the same rounds compare), the CPU per call of each layer a request goes through:
//
//   pg        the very SQL Prisma sends, as a prepared statement on a pg pool, rows JSON.stringify'd
//   prisma    the Prisma call the resolver makes, with the arguments plugin-prisma built
//   graphql   the operation executed by graphql-js over rows already fetched (a stand-in db hands
//             out copies of them), the result JSON.stringify'd
//   execute   the same operation over the database: graphql-js, plugin-prisma and Prisma together,
//             as /graphql runs it once the request is parsed and its key checked
//
// Compare the layers with each other, within one table: `pg` is the raw-SQL baseline's work
// without its HTTP, so `prisma + graphql` ÷ `pg` is what the libraries alone take of a CPU
// target stated against raw SQL. In-process figures do not compare with the bench's server
// figures (`pg` for list-20 here, ~195 µs, is more than the raw-SQL server's whole request there).
//
//   node floor.mjs [list-20,get]     (ROUNDS, default 12; CHUNK calls per layer per round, default 300)
//
// Needs a prior `npm run bench` (the seeded database `assets_bench`) and `npm run build`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchDatabaseUrl, createReadKey } from './lib/pgsetup.mjs';
import { gatewayRequests } from './lib/requests.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const workloads = (process.argv[2] || 'list-20,get').split(',');
const rounds = Number(process.env.ROUNDS || 12);
const chunk = Number(process.env.CHUNK || 300);
const databaseUrl = benchDatabaseUrl();
const log = (m) => process.stderr.write(`[floor] ${m}\n`);
const graphqlWorkloads = Object.keys(gatewayRequests).filter((name) => gatewayRequests[name].body);
for (const w of workloads) if (!graphqlWorkloads.includes(w)) throw new Error(`Unknown GraphQL workload ${w}; one of ${graphqlWorkloads.join(', ')}`);

// The root's modules, not bench/'s copies (PostGraphile brings its own graphql): one schema, one graphql.
const rootRequire = createRequire(join(ROOT, 'package.json'));
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { parse } = await import(pathToFileURL(rootRequire.resolve('graphql').replace(/index\.js$/, 'index.mjs')).href);
const pg = rootRequire('pg');
const { loadConfig } = await dist('config.js');
const { openEngine } = await dist('db/engine.js');
const { createPrismaClient } = await dist('db/client.js');
const { createAuthenticator } = await dist('auth/authenticate.js');
const { executeOperation } = await dist('graphql/execute.js');

const key = createReadKey(databaseUrl, 'floor');
const authorization = `Bearer ${key}`;

const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
const engine = await openEngine({ databaseUrl, poolSize: config.databasePoolSize });
const db = createPrismaClient(engine);
const principal = await createAuthenticator(db, { cacheTtlMs: 0 })(authorization);
const pool = new pg.Pool({ connectionString: databaseUrl, max: config.databasePoolSize });

/** Fresh row objects, as Prisma hands out on every call (the nested library is shared; nothing writes to it). */
const copyOf = (rows) => (Array.isArray(rows) ? rows.map((row) => ({ ...row })) : rows && { ...rows });

/** A db whose `asset` calls are recorded, or answered from `answers` without SQL. */
function standInDb(calls, answers) {
  const asset = new Proxy(db.asset, {
    get: (delegate, method) => (args) => {
      if (answers) return Promise.resolve(copyOf(answers.get(method)));
      calls.push({ method, args });
      return delegate[method](args);
    },
  });
  return new Proxy(db, { get: (target, prop) => (prop === 'asset' ? asset : target[prop]) });
}

/** Runs `call` `count` times, 8 at a time, as 16 connections share the pool in the bench. */
async function run(call, count) {
  let started = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (started++ < count) await call();
    }),
  );
}

async function layersOf(workload) {
  const { body } = gatewayRequests[workload];
  const { query, variables } = JSON.parse(body);
  const document = parse(query);

  // The Prisma call the resolver makes, and the SQL and parameters Prisma sends for it.
  const calls = [];
  await executeOperation(document, variables, { db: standInDb(calls), principal });
  if (calls.length !== 1) throw new Error(`${workload}: expected one Prisma call, saw ${calls.length}`);
  const [{ method, args }] = calls;
  const statements = [];
  const logging = createPrismaClient(engine, { onQuery: (text, params) => statements.push({ text, values: JSON.parse(params) }) });
  const rows = await logging.asset[method](args);
  await logging.$disconnect();
  if (statements.length !== 1) throw new Error(`${workload}: expected one SQL statement, saw ${statements.length}`);
  const sql = { name: `floor_${workload}`, ...statements[0] };

  const fetched = standInDb([], new Map([[method, rows]]));
  const expected = JSON.stringify(await executeOperation(document, variables, { db, principal }));
  if (JSON.stringify(await executeOperation(document, variables, { db: fetched, principal })) !== expected)
    throw new Error(`${workload}: the stand-in db answers differently`);
  return {
    pg: async () => JSON.stringify((await pool.query(sql)).rows),
    prisma: () => db.asset[method](args),
    graphql: async () => JSON.stringify(await executeOperation(document, variables, { db: fetched, principal })),
    execute: async () => JSON.stringify(await executeOperation(document, variables, { db, principal })),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `## Floor — ${new Date().toISOString()} — node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, in one process, ${rounds} interleaved rounds of ${chunk} calls per layer, 8 at a time; CPU µs per call, median over the rounds`,
  '',
  '| workload | pg (same SQL, prepared) | prisma | graphql over fetched rows | prisma + graphql | execute |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const workload of workloads) {
  const layers = await layersOf(workload);
  const times = Object.fromEntries(Object.keys(layers).map((name) => [name, []]));
  for (const call of Object.values(layers)) await run(call, chunk); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = Object.entries(layers);
    if (round % 2) order.reverse();
    for (const [name, call] of order) {
      const before = process.cpuUsage();
      await run(call, chunk);
      const spent = process.cpuUsage(before);
      times[name].push((spent.user + spent.system) / chunk);
    }
    log(`${workload}: round ${round + 1}/${rounds}`);
  }
  const m = Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, median(xs)]));
  // The sum per round, so that drift between rounds does not leak into it.
  const both = median(times.prisma.map((t, i) => t + times.graphql[i]));
  const f = (x) => x.toFixed(0);
  lines.push(`| ${workload} | ${f(m.pg)} | ${f(m.prisma)} | ${f(m.graphql)} | ${f(both)} | ${f(m.execute)} |`);
}
console.log(lines.join('\n'));
await db.$disconnect();
await pool.end();
await engine.close();
