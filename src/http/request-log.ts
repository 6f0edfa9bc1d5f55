import type { FastifyInstance } from 'fastify';
import { keyPrefixOf } from '../auth/keys.ts';
import { traceIdOf } from './tracing.ts';

/**
 * One log line per request, with what an operator needs: method, route (the route's pattern,
 * never the URL, whose query string may carry a credential), status, duration, and the public
 * prefix of the key presented, and the request's trace id when tracing is on. It replaces Fastify's two lines per request.
 */
export function logRequests(app: FastifyInstance) {
  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        key: keyPrefixOf(req.headers.authorization),
        traceId: traceIdOf(req),
      },
      'request',
    );
    done();
  });
}
