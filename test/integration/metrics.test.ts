import { randomUUID } from 'node:crypto';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/process.ts';
import { useTestApp } from '../helpers/app.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';

/**
 * GET /metrics (Prometheus text format, prom-client): parsed with a Prometheus text parser, and
 * seen to move as requests are made through both faces.
 */
const metricsPort = await freePort();
const t = useTestApp({ RATE_LIMIT_PER_MINUTE: '30', METRICS_PORT: String(metricsPort) });
let reader: string;

beforeAll(async () => {
  reader = await t.newKey(['read:metrics']);
});

const scrape = () => scrapeMetrics(t.app, reader);

const rest = (key: string, url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
const graphql = (key: string, query: string, variables?: object) =>
  t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${key}` }, payload: { query, variables } });

describe('GET /metrics', () => {
  it('needs a key with read:metrics', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const other = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries', 'admin:keys']);
    const refused = await rest(other, '/metrics');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'Insufficient permissions', message: 'API key does not have read:metrics scope' });
  });

  it('counts requests by route template, never by raw URL, with their status', async () => {
    const key = await t.newKey();
    const before = await scrape();
    const list = { method: 'GET', route: '/api/v1/assets', status_code: '200' };
    const one = { method: 'GET', route: '/api/v1/assets/:asset_id', status_code: '404' };
    await rest(key, '/api/v1/assets');
    await rest(key, '/api/v1/assets?per_page=5');
    const unknownId = randomUUID();
    await rest(key, `/api/v1/assets/${unknownId}`);
    const after = await scrape();
    expect(after.value('http_requests_total', list) - before.value('http_requests_total', list)).toBe(2);
    expect(after.value('http_requests_total', one) - before.value('http_requests_total', one)).toBe(1);
    const durations = 'method="GET",route="/api/v1/assets",status_code="200"';
    expect(after.histogramCount('http_request_duration_seconds', durations) - before.histogramCount('http_request_duration_seconds', durations)).toBe(2);
    const routes = after.families.find((f) => f.name === 'http_requests_total')!.metrics.map((m) => m.labels?.route);
    expect(routes.some((route) => route?.includes(unknownId))).toBe(false);
  });

  it('counts GraphQL operations by name and outcome, on both GraphQL paths and the REST routes', async () => {
    const key = await t.newKey();
    const before = await scrape();
    await graphql(key, 'query CountedList { assets { total } }');
    await graphql(key, 'query CountedList { assets { total } }');
    await graphql(key, 'query CountedOne($id: ID!) { asset(id: $id) { id } }', { id: true });
    await t.app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('query CountedByGet { assets { total } }')}`,
      headers: { authorization: `Bearer ${key}` },
    });
    await rest(key, '/api/v1/assets');
    const after = await scrape();
    const delta = (labels: Record<string, string>) => after.value('graphql_operations_total', labels) - before.value('graphql_operations_total', labels);
    expect(delta({ operation_name: 'CountedList', operation_type: 'query', outcome: 'ok' })).toBe(2);
    expect(delta({ operation_name: 'CountedOne', outcome: 'ok' })).toBe(0);
    expect(delta({ operation_name: 'CountedOne', outcome: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta({ operation_name: 'CountedByGet', outcome: 'ok' })).toBe(1);
    expect(delta({ operation_name: 'RestListAssets', outcome: 'ok' })).toBe(1);
    const phase = (name: string) =>
      after.histogramCount('graphql_phase_duration_seconds', `phase="${name}"`) - before.histogramCount('graphql_phase_duration_seconds', `phase="${name}"`);
    // Executed: all five; parsed and validated: each new document once (CountedList twice, once).
    expect(phase('execute')).toBe(5);
    expect(phase('parse')).toBe(3);
    expect(phase('validate')).toBe(3);
  });

  it('counts a 429 as a rate-limit refusal', async () => {
    const key = await t.newKey();
    const before = await scrape();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await rest(key, '/api/v1/assets')).statusCode);
    expect(statuses.at(-1)).toBe(429);
    const after = await scrape();
    expect(after.value('rate_limit_refusals_total', { bucket: 'key' }) - before.value('rate_limit_refusals_total', { bucket: 'key' })).toBe(1);
    const refused = { route: '/api/v1/assets', status_code: '429' };
    expect(after.value('http_requests_total', refused) - before.value('http_requests_total', refused)).toBe(1);
  });

  it("carries the process's own metrics, and the database pool's on PostgreSQL", async () => {
    const { families, value } = await scrape();
    const names = families.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']),
    );
    expect(names).toEqual(expect.arrayContaining(['extraction_workers', 'storage_failures_total', 'redis_errors_total', 'db_pool_connections']));
    const pool = families.find((family) => family.name === 'db_pool_connections')!;
    // The embedded database has no pool: the family is declared, with no samples.
    if (process.env.TEST_DATABASE_URL)
      expect(value('db_pool_connections', { state: 'idle' }) + value('db_pool_connections', { state: 'in_use' })).toBeGreaterThan(0);
    else expect(pool.metrics).toEqual([]);
  });

  it('is served without a key on METRICS_PORT, on 127.0.0.1 only', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(parsePrometheusTextFormat(await response.text()).some((f) => f.name === 'http_requests_total')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
  });
});
