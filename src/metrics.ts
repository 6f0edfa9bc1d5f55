import { randomUUID } from 'node:crypto';
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { getOperationAST, type DocumentNode } from 'graphql';
import { tracer, tracingOn } from './tracing.ts';

/**
 * The process's Prometheus metrics (prom-client), served at GET /metrics (src/http/metrics.ts).
 * Labels never carry raw URLs, ids or client text beyond a bounded set of operation names, so the
 * number of series stays bounded whatever clients send.
 */
export const registry = new Registry();
// Heap, event-loop lag, GC, CPU, handles: prom-client's defaults.
collectDefaultMetrics({ register: registry });

const registers = [registry];

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by route template (never the raw URL), method and status',
  labelNames: ['method', 'route', 'status_code'] as const,
  registers,
});

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of the HTTP requests of http_requests_total, with the same labels',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const graphqlOperations = new Counter({
  name: 'graphql_operations_total',
  help: 'GraphQL operations run, by operation name, type and outcome (ok, or the first error code); the REST routes run theirs too (Rest…)',
  labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
  registers,
});

export const graphqlPhaseDuration = new Histogram({
  name: 'graphql_phase_duration_seconds',
  help: 'Time spent parsing, validating (each new document once) and executing GraphQL operations',
  labelNames: ['phase'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers,
});

export const rateLimitRefusals = new Counter({
  name: 'rate_limit_refusals_total',
  help: 'Requests refused with 429, by bucket: an API key (key), a client IP without a valid key (ip), a client IP fetching signed asset URLs (signed)',
  labelNames: ['bucket'] as const,
  registers,
});

export const storageFailures = new Counter({
  name: 'storage_failures_total',
  help: 'Calls to the file store (S3) that failed because it did not answer or refused, by failure code',
  labelNames: ['code'] as const,
  registers,
});

export const redisErrors = new Counter({
  name: 'redis_errors_total',
  help: 'Errors of the Redis connections (rate limits and revocations fail open while Redis is away)',
  registers,
});

export const extractionDuration = new Histogram({
  name: 'extraction_duration_seconds',
  help: "Time a file's metadata extraction took in its worker, by outcome (ok, refused)",
  labelNames: ['outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const extractionWorkers = new Gauge({
  name: 'extraction_workers',
  help: 'Extraction workers running, and files waiting for one',
  labelNames: ['state'] as const,
  registers,
});

export const renditionRequests = new Counter({
  name: 'rendition_requests_total',
  help: 'Renditions asked for (GET /api/v1/assets/{id}/image past its checks), by cache: hit (read from the store) or miss (made)',
  labelNames: ['cache'] as const,
  registers,
});

export const renditionDuration = new Histogram({
  name: 'rendition_duration_seconds',
  help: 'Time a rendition took to make and store, by output format and outcome (ok, failed); its count is the renders made',
  labelNames: ['format', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const renditionSlots = new Gauge({
  name: 'rendition_slots',
  help: 'Renders running in this process, and requests waiting for a slot (RENDITION_CONCURRENCY, RENDITION_QUEUE_LIMIT)',
  labelNames: ['state'] as const,
  registers,
});

/** The PostgreSQL pools of this process: what db_pool_connections reads when it is scraped. */
const pools = new Set<{ totalCount: number; idleCount: number; waitingCount: number }>();

new Gauge({
  name: 'db_pool_connections',
  help: 'PostgreSQL pool connections in use and idle, and queries waiting for one (absent on the embedded database)',
  labelNames: ['state'] as const,
  registers,
  collect() {
    this.reset();
    for (const pool of pools) {
      this.inc({ state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.inc({ state: 'idle' }, pool.idleCount);
      this.inc({ state: 'waiting' }, pool.waitingCount);
    }
  },
});

/** What the webhook queue reports at each scrape (src/events/webhooks.ts); unset where webhooks do not run. */
export interface WebhookQueueReader {
  /** Age of the oldest event not yet handed out to deliveries; 0 when none waits. */
  eventsWaitingSeconds(): Promise<number>;
  /** Delivery jobs waiting to be attempted, first tries and retries. */
  jobsQueued(): Promise<number>;
}
let webhookQueue: WebhookQueueReader | undefined;

/**
 * A gauge of the webhook queue, read from the database when scraped: the same figure on every
 * process of a gateway, hence `max` across workers, not a sum. 0 where webhooks do not run, and
 * when the read fails (a database in trouble shows in the 5xx and `db_pool_connections`).
 */
function webhookQueueGauge(name: string, help: string, read: (reader: WebhookQueueReader) => Promise<number>) {
  return new Gauge({
    name,
    help,
    registers,
    aggregator: 'max',
    async collect() {
      this.reset();
      if (webhookQueue)
        await read(webhookQueue).then(
          (value) => this.set(value),
          () => {},
        );
    },
  });
}
webhookQueueGauge('webhook_events_waiting_seconds', 'Age of the oldest event not yet handed out to webhook deliveries (0: none waits)', (reader) =>
  reader.eventsWaitingSeconds(),
);
webhookQueueGauge('webhook_jobs_queued', 'Webhook delivery jobs waiting to be attempted, retries included', (reader) => reader.jobsQueued());

/** Reports the webhook queue in the gauges above until the returned function is called. */
export function observeWebhookQueue(reader: WebhookQueueReader): () => void {
  webhookQueue = reader;
  return () => {
    if (webhookQueue === reader) webhookQueue = undefined;
  };
}

/** Counts a PostgreSQL pool in db_pool_connections until the returned function is called. */
export function observePool(pool: { totalCount: number; idleCount: number; waitingCount: number }): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

/** Operation names are the client's text: past this many distinct ones, the rest count as `other`. */
const maxOperationNames = 500;
const seenOperationNames = new Set<string>();

function operationNameLabel(name: string | undefined): string {
  if (!name) return 'anonymous';
  if (seenOperationNames.has(name)) return name;
  if (seenOperationNames.size >= maxOperationNames) return 'other';
  seenOperationNames.add(name);
  return name;
}

/** Records one executed operation: its count by name, type and outcome, and its execution time. */
export function observeOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  result: { errors?: readonly { extensions?: Record<string, unknown> }[] },
  seconds: number,
) {
  const operation = getOperationAST(document, operationName);
  const code = result.errors?.[0]?.extensions?.code;
  graphqlOperations.inc({
    operation_name: operationNameLabel(operation?.name?.value),
    operation_type: operation?.operation ?? 'unknown',
    outcome: result.errors?.length ? String(code ?? 'error') : 'ok',
  });
  graphqlPhaseDuration.observe({ phase: 'execute' }, seconds);
}

/** Parses or validates: its time in graphql_phase_duration_seconds, and a span when tracing is on. */
export function measuredPhase<T>(phase: 'parse' | 'validate', work: () => T): T {
  const span = tracingOn() ? tracer.startSpan(`graphql.${phase}`) : undefined;
  const start = process.hrtime.bigint();
  try {
    return work();
  } finally {
    graphqlPhaseDuration.observe({ phase }, secondsSince(start));
    span?.end();
  }
}

/** A worker's question to the primary, and its answer: every worker's metrics, summed (./cluster.ts). */
export interface MetricsRequest {
  metricsRequest: string;
}
export interface MetricsAnswer {
  metricsAnswer: string;
  text?: string;
}

if (cluster.isWorker) {
  // The primary's AggregatorRegistry asks each worker for this registry's metrics: a worker answers
  // once an AggregatorRegistry was made in it (its constructor adds the listener).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}
const waitingAnswers = new Map<string, { resolve(text: string): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
/** How long a worker waits for the primary to sum every worker's metrics. */
const aggregationWaitMs = 5000;

/**
 * The metrics to serve: this process's, or under WEB_CONCURRENCY the sum over every worker, which
 * only the primary can collect: a scrape answered by one worker still counts them all.
 */
export function metricsText(): Promise<string> {
  if (!cluster.isWorker || !process.send) return registry.metrics();
  if (waitingAnswers.size === 0) process.on('message', onAnswer);
  const id = randomUUID();
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => settle(id, undefined), aggregationWaitMs);
    waitingAnswers.set(id, { resolve, reject, timer });
    process.send!({ metricsRequest: id } satisfies MetricsRequest);
  });
}

function onAnswer(message: Partial<MetricsAnswer>) {
  if (typeof message?.metricsAnswer === 'string') settle(message.metricsAnswer, message.text);
}

function settle(id: string, text: string | undefined) {
  const waiting = waitingAnswers.get(id);
  if (!waiting) return;
  waitingAnswers.delete(id);
  clearTimeout(waiting.timer);
  if (waitingAnswers.size === 0) process.off('message', onAnswer);
  if (text === undefined) waiting.reject(new Error("The primary did not sum the workers' metrics"));
  else waiting.resolve(text);
}

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
