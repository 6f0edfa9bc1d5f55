import cluster from 'node:cluster';
import { setFlagsFromString } from 'node:v8';
import { buildApp } from './app.ts';
import { allScopes } from './auth/scopes.ts';
import { countApiKeys, createApiKey } from './auth/keys.ts';
import type { WorkerMessage, PrimaryMessage } from './cluster.ts';
import type { Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createFiles } from './domain/files/index.ts';
import { readiness } from './http/readiness.ts';
import { startTracingFromConfig } from './tracing.ts';
import type { InFlight } from './http/drain.ts';

function fail(error: Error): never {
  console.error(`error: ${error.message}`);
  process.exit(1);
}

/**
 * One gateway process: opens the store and the database, listens, and stops on a signal after
 * draining. Under WEB_CONCURRENCY it is a worker of src/cluster.ts: the primary prints the
 * address once every worker serves, and relays the signals it receives.
 */
export async function serve(config: Config) {
  // On a PostgreSQL server the only WebAssembly here is Prisma's query compiler, which plans each
  // query shape once (Prisma caches the plans): V8's optimizing tier would compile the whole module
  // again for ~30-70 MB of memory and no measurable gain (bench/RESULTS-archive.md). Embedded PGlite runs
  // PostgreSQL itself in WebAssembly, hot on every query, so it keeps the optimizing tier.
  if (config.databaseUrl) setFlagsFromString('--liftoff-only');
  // Before anything that makes spans: the app's hooks ask whether tracing is on.
  const stopTracing = await startTracingFromConfig(config);
  // A bucket that is missing or out of reach is one line naming STORAGE_URL, before the database is opened.
  const files = createFiles(config);
  await files.storage.verify().catch(fail);
  const database = await openDatabase(config).catch(fail);
  const app = await buildApp({ config, db: database.db, files }).catch(fail);

  // A start on a full disk serves reads; one warning says why writes will answer 507.
  const ready = await readiness(database.db, files, config);
  if (database.engine.startedOnFullDisk || ready.database === 'full' || ready.storage === 'full') {
    const reserve = database.engine.startedOnFullDisk ? ' (the embedded database gave up its reserve file to start)' : '';
    console.warn(
      `warning: the disk of ${config.dataDir} is full${reserve}: reads are served, but uploads and changes answer 507 Insufficient storage until space is freed; GET /readyz says when`,
    );
  }

  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const describe = ({ requests, uploads }: InFlight) => `${plural(requests, 'request')}${uploads ? ` (${plural(uploads, 'upload')})` : ''}`;

  /**
   * A stop (SIGTERM, SIGINT): /readyz answers 503, no new connection is accepted, and the requests
   * in flight get SHUTDOWN_GRACE_MS to finish; whatever still runs then is cut (a cut upload leaves
   * nothing stored). The signal again stops at once. Exits 0 when every request finished, 1 when
   * some had to be cut.
   *
   * A worker hears of a stop twice when a terminal's Ctrl-C or a service manager signals every
   * process of the group: once itself, once relayed by the primary. So "again" means again from
   * the same source.
   */
  const stops = { signal: 0, primary: 0 };
  let stopNow = false;
  async function shutdown(signal: NodeJS.Signals, source: keyof typeof stops) {
    const first = stops.signal + stops.primary === 0;
    stops[source]++;
    if (!first) {
      if (stops[source] < 2 || stopNow) return;
      stopNow = true;
      app.log.warn(`${signal} again: stopping now`);
      return app.drain.stopNow();
    }
    const inFlight = app.drain.inFlight();
    const graceS = config.shutdownGraceMs / 1000;
    const waitingFor: string = inFlight.requests
      ? `${signal}: draining, waiting for ${describe(inFlight)} up to ${graceS} s; send ${signal} again to stop now`
      : `${signal}: no request in flight, stopping`;
    app.log.info(waitingFor);
    let cut = 0;
    try {
      const left = await app.drain.stop(config.shutdownGraceMs);
      cut = left.requests;
      const when = stopNow ? 'at once' : `still running after ${graceS} s`;
      if (cut) app.log.warn(`${signal}: cut ${describe(left)} ${when}`);
      await app.close();
      await database.close();
      await stopTracing?.();
    } finally {
      process.exit(cut ? 1 : 0);
    }
  }
  process.on('SIGTERM', (signal) => void shutdown(signal, 'signal'));
  process.on('SIGINT', (signal) => void shutdown(signal, 'signal'));
  process.on('message', (message: PrimaryMessage) => {
    if (message?.stop) void shutdown(message.stop, 'primary');
  });

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
  if (cluster.isWorker) return void process.send!({ ready: true } satisfies WorkerMessage);
  console.log(`assets-gateway: GraphQL (GraphiQL in a browser) at http://${config.host}:${config.port}/graphql, REST at /api/v1`);
}
