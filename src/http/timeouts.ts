import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

type Timeouts = Pick<Config, 'headersTimeoutMs' | 'bodyTimeoutMs' | 'connectionTimeoutMs'>;

/** Fastify's server options for the timeouts Node enforces itself. */
export function serverTimeoutOptions(config: Timeouts) {
  return {
    // A socket with no traffic either way for this long is destroyed.
    connectionTimeout: config.connectionTimeoutMs,
    // Node's backstop for receiving a whole request; the body timer below answers first, in
    // the face's shape. It must not be shorter than the headers timeout.
    requestTimeout: config.headersTimeoutMs + config.bodyTimeoutMs + 5_000,
    // Node checks the headers and request timeouts on this beat (default 30 s, which let
    // unfinished headers wait ~85 s); once a second keeps them close to what they say.
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
  };
}

class BodyTimeoutError extends Error {
  readonly statusCode = 408;
  readonly code = 'AG_BODY_TIMEOUT';
  constructor(ms: number) {
    super(`The request body did not arrive within ${ms} ms`);
  }
}

/**
 * Header and body timeouts. Headers: Node's headersTimeout (it answers a bare 408 and closes;
 * no route is known yet to choose a face). Body: a timer per request with a body, from the end
 * of the headers; when it fires the body read fails with a 408 that the error handlers answer in
 * the face's shape, and the connection is closed so the slow client cannot go on sending.
 */
export function addTimeouts(app: FastifyInstance, config: Timeouts) {
  if (!config.bodyTimeoutMs) return;
  app.addHook('preParsing', (req, reply, payload, done) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || payload.readableEnded) return done(null, payload);
    const timer = setTimeout(() => {
      if (reply.sent) return;
      reply.header('connection', 'close');
      payload.emit('error', new BodyTimeoutError(config.bodyTimeoutMs));
    }, config.bodyTimeoutMs);
    const stop = () => clearTimeout(timer);
    payload.once('end', stop);
    payload.once('close', stop);
    payload.once('error', stop);
    done(null, payload);
  });
}
