import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Scope } from '../auth/scopes.ts';
import type { Config } from '../config.ts';
import { httpRequestDuration, httpRequests, metricsText, registry } from '../metrics.ts';
import { forbiddenError, unauthenticatedMessage } from '../graphql/errors.ts';
import { sendHttpError } from './errors.ts';

/** The scope that may read /metrics: what it shows is about every workspace. */
const metricsScope: Scope = 'read:metrics';

/**
 * Prometheus metrics (src/metrics.ts): every answer is counted by its route template, and
 * `GET /metrics` serves them to a key with `read:metrics`. With METRICS_PORT, a second listener on
 * 127.0.0.1 serves them without a key, for a scraper on the same host (or a sidecar). Under
 * WEB_CONCURRENCY every worker answers with the sum over all workers (src/metrics.ts).
 */
export function addMetrics(app: FastifyInstance, config: Config) {
  app.addHook('onResponse', async (req, reply) => {
    // The route's template (`/api/v1/assets/:id`), never the raw URL: ids would make a series each.
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (req, reply) => {
    if (!req.principal) return sendHttpError(req, reply, 401, unauthenticatedMessage);
    if (!req.principal.scopes.has(metricsScope)) return sendHttpError(req, reply, 403, forbiddenError(metricsScope).message);
    return reply.header('content-type', registry.contentType).send(await metricsText());
  });

  if (config.metricsPort === undefined) return;
  let server: Server | undefined;
  app.addHook('onReady', async () => {
    server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here\n');
        return;
      }
      metricsText().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The metrics could not be collected\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.metricsPort, '127.0.0.1', () => resolve());
    });
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
}
