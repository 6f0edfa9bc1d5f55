import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/tracing.ts';
import { useTestApp } from '../helpers/app.ts';
import { startGateway } from '../helpers/process.ts';
import { redisAnswers, redisUrl } from '../helpers/redis.ts';

/**
 * Traces (OpenTelemetry) into an in-memory exporter: one trace per request, joined to the
 * client's `traceparent`, with the server span, the GraphQL phases and Prisma's queries under it.
 * Tracing starts before the app is built, as src/index.ts starts it when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
const exporter = new InMemorySpanExporter();
const stopTracing = await startTracing(new SimpleSpanProcessor(exporter));
afterAll(() => stopTracing());
const t = useTestApp();
let key: string;
beforeAll(async () => {
  key = await t.newKey(['read:assets', 'write:assets']);
});

/** A client's W3C trace context: its trace id and the id of its own span. */
function traceparent() {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, header: `00-${traceId}-${parentSpanId}-01` };
}

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('a traced request', () => {
  it('on /graphql: the server span continues the client’s trace, with the GraphQL phases and Prisma’s queries under it', async () => {
    const client = traceparent();
    const response = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${key}`, traceparent: client.header },
      payload: { query: 'query TracedList { assets(perPage: 5) { total items { id title } } }' },
    });
    expect(response.json()).toEqual({ data: { assets: { total: 0, items: [] } } });
    const spans = spansOf(client.traceId);
    const server = spans.find((span) => span.name === 'POST /graphql')!;
    expect(server).toBeDefined();
    expect(parentOf(server)).toBe(client.parentSpanId);
    expect(server.attributes).toMatchObject({ 'http.route': '/graphql', 'http.response.status_code': 200 });
    const names = spans.map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.execute']));
    const execute = spans.find((span) => span.name === 'graphql.execute')!;
    expect(execute.attributes).toMatchObject({ 'graphql.operation.name': 'TracedList', 'graphql.operation.type': 'query' });
    // Prisma's spans of the list's queries, inside the execution's span: each operation and its SQL
    // (its serialize and compile steps are left out, src/tracing.ts).
    const prisma = spans.filter((span) => span.name.startsWith('prisma:'));
    expect(new Set(prisma.map((span) => span.name))).toEqual(new Set(['prisma:client:operation', 'prisma:client:db_query']));
    expect(prisma.find((span) => span.name === 'prisma:client:db_query')!.attributes['db.query.text']).toMatch(/^SELECT /);
    const ids = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const underExecute = (span: ReadableSpan): boolean => {
      for (let parent = ids.get(parentOf(span) ?? ''); parent; parent = ids.get(parentOf(parent) ?? '')) if (parent === execute) return true;
      return false;
    };
    expect(prisma.some(underExecute)).toBe(true);
  });

  it('on a REST route and its file store: one trace, named by the route’s template, with the fixed operation and the store’s calls', async () => {
    const client = traceparent();
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/v1/uploads',
      headers: { authorization: `Bearer ${key}`, traceparent: client.header, 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nhello traces\r\n--b--\r\n',
    });
    expect(upload.statusCode).toBe(201);
    const names = spansOf(client.traceId).map((span) => span.name);
    expect(names).toContain('POST /api/v1/uploads');
    expect(names).toContain('storage.put');

    // The asset made of it: the mutation's resolver in a span of its own, holding the file's
    // extraction and the create's SQL.
    const create = traceparent();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { authorization: `Bearer ${key}`, traceparent: create.header },
      payload: { title: 'Traced notes', asset_type: 'document', file_path: upload.json().data.file_path },
    });
    expect(created.statusCode).toBe(201);
    const createSpans = spansOf(create.traceId);
    const resolver = createSpans.find((span) => span.name === 'graphql.resolve')!;
    expect(resolver.attributes).toMatchObject({ 'graphql.field.name': 'createAsset', 'graphql.field.path': 'createAsset' });
    const within = (span: ReadableSpan, ancestor: ReadableSpan) => {
      const byId = new Map(createSpans.map((each) => [each.spanContext().spanId, each]));
      for (let parent = byId.get(parentOf(span) ?? ''); parent; parent = byId.get(parentOf(parent) ?? '')) if (parent === ancestor) return true;
      return false;
    };
    const extraction = createSpans.find((span) => span.name === 'extraction')!;
    expect(extraction.attributes).toMatchObject({ 'file.mime_type': 'text/plain' });
    expect(within(extraction, resolver)).toBe(true);
    expect(createSpans.some((span) => span.name === 'prisma:client:db_query' && within(span, resolver))).toBe(true);

    const other = traceparent();
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/assets/00000000-0000-4000-8000-000000000000',
      headers: { authorization: `Bearer ${key}`, traceparent: other.header },
    });
    expect(missing.statusCode).toBe(404);
    const spans = spansOf(other.traceId);
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['GET /api/v1/assets/:asset_id', 'graphql.execute']));
    // The path is kept, never the query string.
    expect(spans.find((span) => span.name === 'GET /api/v1/assets/:asset_id')!.attributes['url.path']).toBe(
      '/api/v1/assets/00000000-0000-4000-8000-000000000000',
    );
  });

  it('without a traceparent, starts a trace of its own', async () => {
    const before = new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId));
    await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${key}` } });
    const fresh = exporter.getFinishedSpans().filter((span) => !before.has(span.spanContext().traceId) && span.name === 'GET /api/v1/assets');
    expect(fresh).toHaveLength(1);
    expect(parentOf(fresh[0])).toBeUndefined();
  });
});

describe('a traced request with Redis', () => {
  // Rate limits counted in Redis: each request's check is a Redis command.
  const withRedis = useTestApp({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `agw-trace-${randomBytes(4).toString('hex')}:` });
  let available = false;
  let redisKey: string;
  beforeAll(async () => {
    available = await redisAnswers();
    if (!available) console.warn(`skipped: the Redis span test: no Redis at ${redisUrl}`);
    redisKey = await withRedis.newKey(['read:assets']);
  });

  it('shows the rate-limit check’s Redis command inside the request’s trace', async (ctx) => {
    if (!available) return ctx.skip();
    const client = traceparent();
    const response = await withRedis.app.inject({
      method: 'GET',
      url: '/api/v1/assets',
      headers: { authorization: `Bearer ${redisKey}`, traceparent: client.header },
    });
    expect(response.statusCode).toBe(200);
    const redis = spansOf(client.traceId).filter((span) => span.name.startsWith('redis.'));
    expect(redis.length).toBeGreaterThan(0);
    expect(redis[0].attributes).toMatchObject({ 'db.system.name': 'redis' });
  });
});

describe('a gateway started with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('sends the request’s trace to the collector over OTLP and writes its trace id in the request’s log line', { timeout: 120_000 }, async () => {
    // A stand-in collector: keeps the bodies of the exports it receives (OTLP over HTTP, JSON).
    const exports: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        exports.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => collector.close(resolve)));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, LOG_LEVEL: 'info' }, cleanups);
    const key = /^\s+(agk_\S+)$/m.exec(gateway.output())![1];
    const client = traceparent();
    const response = await fetch(`${gateway.url}/api/v1/assets`, { headers: { authorization: `Bearer ${key}`, traceparent: client.header } });
    expect(response.status).toBe(200);
    // A stop sends what the batch still holds.
    gateway.child.kill('SIGTERM');
    expect((await gateway.exit).code).toBe(0);

    const lines = gateway
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines.find((line) => line.msg === 'request' && line.route === '/api/v1/assets')).toMatchObject({ status: 200, traceId: client.traceId });
    expect(exports.join('\n')).toContain(client.traceId);
  });
});
