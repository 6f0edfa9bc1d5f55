import { setTimeout } from 'node:timers/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NodeTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { type DocumentNode, getOperationAST } from 'graphql';
import type { Config } from './config.ts';

/**
 * OpenTelemetry traces, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads it and the
 * other OTEL_* variables itself). Off, every tracer below is the API's no-op one: no span is made.
 * One trace per request (src/http/tracing.ts, honouring an incoming `traceparent`), spans for the
 * GraphQL phases (src/graphql/execute.ts, src/graphql/yoga.ts), Prisma's own spans for every query
 * (@prisma/instrumentation), and the file store's calls. The SDK, the exporter and the
 * instrumentations are imported only when tracing starts: a gateway without tracing never loads
 * them (some 240 modules; bench/RESULTS.md, "Guards").
 */
export const tracer = trace.getTracer('assets-gateway');

let provider: NodeTracerProvider | undefined;
const flushWaitMs = 2000;

/** Starts tracing into `processor` (tests give an in-memory one); returns the stop function. */
export async function startTracing(processor: SpanProcessor): Promise<() => Promise<void>> {
  const [{ NodeTracerProvider }, { registerInstrumentations }, { PrismaInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/instrumentation'),
    import('@prisma/instrumentation'),
  ]);
  provider = new NodeTracerProvider({ spanProcessors: [processor] });
  // The W3C trace-context propagator and an AsyncLocalStorage context manager.
  provider.register();
  // Of Prisma's four spans per query, the operation and its SQL (db_query) are kept; serialize and
  // compile each take a few µs and made half the spans, and so half of tracing's cost per request.
  const prisma = new PrismaInstrumentation({ ignoreSpanTypes: ['prisma:client:serialize', 'prisma:client:compile'] });
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [prisma] });
  return async () => {
    unregister();
    // Sends what is still buffered, but a collector that does not answer must not hold up a stop.
    await Promise.race([provider?.shutdown(), setTimeout(flushWaitMs, undefined, { ref: false })]);
    trace.disable();
    propagation.disable();
    context.disable();
    provider = undefined;
  };
}

/** Tracing as configured: on, with an OTLP exporter (which reads OTEL_EXPORTER_OTLP_* itself), when an endpoint is set. */
export async function startTracingFromConfig(config: Pick<Config, 'otelEndpoint'>): Promise<(() => Promise<void>) | undefined> {
  if (!config.otelEndpoint) return undefined;
  const [{ BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  return startTracing(new BatchSpanProcessor(new OTLPTraceExporter()));
}

/** Runs a GraphQL operation's execution in a `graphql.execute` span; off, just runs it (nothing computed per request). */
export function inExecuteSpan<T>(document: DocumentNode, operationName: string | null | undefined, work: () => Promise<T>): Promise<T> {
  if (!provider) return work();
  const operation = getOperationAST(document, operationName);
  const attributes = { 'graphql.operation.name': operation?.name?.value ?? '', 'graphql.operation.type': operation?.operation ?? '' };
  return inSpan('graphql.execute', attributes, work);
}

/** Whether spans are made (tracing was started). */
export function tracingOn(): boolean {
  return provider !== undefined;
}

/** Runs `work` in a child span of the active one, ending it when `work` settles, marking errors; off, just runs it. */
export function inSpan<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
  if (!provider) return work();
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.name });
      throw error;
    } finally {
      span.end();
    }
  });
}
