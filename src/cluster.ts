import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { MetricsAnswer, MetricsRequest } from './metrics.ts';
import type { Config } from './config.ts';

/** What the primary tells a worker: stop as on this signal (./server.ts drains). */
export interface PrimaryMessage {
  stop?: NodeJS.Signals;
}
/** What a worker tells the primary: it listens, and its start is done (first key included). */
export interface WorkerMessage extends Partial<MetricsRequest> {
  ready?: true;
}

/** Time a worker's stop may take beyond SHUTDOWN_GRACE_MS (cutting, cleaning up, closing) before it is killed. */
const stopAllowanceMs = 15_000;

/**
 * The primary of WEB_CONCURRENCY gateway processes on one port (node:cluster hands each new
 * connection to the next worker). The first worker starts alone, so that migrations and the
 * first key are made once; the others follow when it serves. A worker that exits while the
 * gateway serves is replaced; one that exits before it ever served stops the gateway (a start
 * that fails would fail again). SIGTERM or SIGINT is relayed to every worker, which drains; the
 * primary exits 0 when every worker exited 0, 1 otherwise. The signal again stops them at once.
 */
export function runPrimary(config: Config): void {
  const log = pino({ level: config.logLevel });
  const serving = new Set<Worker>();
  const alive = new Set<Worker>();
  let stopping: NodeJS.Signals | null = null;
  let failed = false;

  const describe = (worker: Worker) => `worker ${worker.id} (pid ${worker.process.pid})`;
  // /metrics on any worker answers every worker's metrics, summed here (prom-client asks each worker).
  const aggregator = new AggregatorRegistry();
  const sendMetrics = (worker: Worker, id: string) =>
    aggregator.clusterMetrics().then(
      (text) => worker.send({ metricsAnswer: id, text } satisfies MetricsAnswer),
      () => worker.send({ metricsAnswer: id } satisfies MetricsAnswer),
    );
  const fork = (): Promise<Worker> => {
    const worker = cluster.fork();
    alive.add(worker);
    // A stop relayed to a worker that is exiting at that moment finds its channel closed: its exit says the rest.
    worker.on('error', (error) => log.warn(`${describe(worker)}: ${error.message}`));
    return new Promise((resolve) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message?.metricsRequest) return sendMetrics(worker, message.metricsRequest);
        if (!message?.ready) return;
        serving.add(worker);
        resolve(worker);
      });
    });
  };

  /** Tells every worker to stop as on `signal`; a worker still starting has no handler for messages yet, so it gets the signal itself. */
  const stopWorkers = (signal: NodeJS.Signals) => {
    for (const worker of alive) {
      if (serving.has(worker)) worker.send({ stop: signal } satisfies PrimaryMessage);
      else worker.process.kill(signal);
    }
    if (alive.size === 0) process.exit(failed ? 1 : 0);
  };
  const beginStop = (signal: NodeJS.Signals) => {
    stopping = signal;
    const deadlineMs = config.shutdownGraceMs + stopAllowanceMs;
    setTimeout(() => {
      log.error(`${alive.size} worker(s) still running ${deadlineMs / 1000} s after ${signal}: killing them`);
      for (const worker of alive) worker.process.kill('SIGKILL');
    }, deadlineMs);
    stopWorkers(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: stopping the workers now`);
      return stopWorkers(signal);
    }
    log.info(`${signal}: stopping ${alive.size} worker${alive.size === 1 ? '' : 's'}; send ${signal} again to stop them now`);
    beginStop(signal);
  };

  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    const served = serving.delete(worker);
    const how = signal ? `on ${signal}` : `with code ${code}`;
    if (stopping) {
      if (code !== 0) {
        failed = true;
        log.warn(`${describe(worker)} exited ${how}`);
      }
      if (alive.size === 0) {
        log.info(`every worker has stopped${failed ? ', not all of them cleanly' : ''}`);
        process.exit(failed ? 1 : 0);
      }
    } else if (!served) {
      failed = true;
      log.error(`${describe(worker)} exited ${how} before it served: stopping the gateway`);
      beginStop('SIGTERM');
    } else {
      log.warn(`${describe(worker)} exited ${how}: starting another`);
      void fork().then((replacement) => log.info(`${describe(replacement)} serves in place of ${describe(worker)}`));
    }
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  void (async () => {
    const first = await fork();
    const others = await Promise.all(Array.from({ length: config.webConcurrency - 1 }, fork));
    if (stopping) return;
    const pids = [first, ...others].map((worker) => worker.process.pid).join(', ');
    console.log(`assets-gateway: ${config.webConcurrency} processes (pids ${pids}) share the port ${config.port}`);
    console.log(`assets-gateway: GraphQL (GraphiQL in a browser) at http://${config.host}:${config.port}/graphql, REST at /api/v1`);
  })();
}
