import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer, tracingOn } from '../tracing.ts';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * One trace per request when tracing is on (src/tracing.ts): a server span that continues the
 * client's trace when the request carries a `traceparent`, made current for every hook and
 * handler after it, so that the GraphQL and Prisma spans of the request are its children. Named
 * by the route's template; its attributes hold the path, never the query string (it may carry a
 * credential).
 */
export function addTracing(app: FastifyInstance) {
  if (!tracingOn()) return;
  app.addHook('onRequest', (req, _reply, done) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.url.split('?')[0] } },
      parent,
    );
    spans.set(req, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      const route = req.routeOptions.url;
      if (route) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** The trace id of a request, for its log line; undefined when tracing is off. */
export function traceIdOf(req: FastifyRequest): string | undefined {
  return spans.get(req)?.spanContext().traceId;
}
