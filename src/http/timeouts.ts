import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { TimeoutError } from '../domain/errors.ts';

type Timeouts = Pick<Config, 'headersTimeoutMs' | 'bodyTimeoutMs' | 'uploadBodyTimeoutMs' | 'connectionTimeoutMs'>;

/** Fastify's server options for the timeouts Node enforces itself. */
export function serverTimeoutOptions(config: Timeouts) {
  return {
    // A socket with no traffic either way for this long is destroyed: while a request is under
    // way, and between requests too (Node's keep-alive timeout, Fastify's default 72 s, replaces
    // it there).
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.connectionTimeoutMs,
    // Node's backstop for receiving a whole request (an upload's included); the body timer below
    // answers first, in the face's shape. It must not be shorter than the headers timeout.
    requestTimeout: config.headersTimeoutMs + Math.max(config.bodyTimeoutMs, config.uploadBodyTimeoutMs) + 5_000,
    // Node checks the headers and request timeouts on this beat (default 30 s, which let
    // unfinished headers wait ~85 s); once a second keeps them close to what they say.
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
  };
}

/** A domain error, so that an upload reading the body reports it as such; Fastify reads the status. */
class BodyTimeoutError extends TimeoutError {
  readonly statusCode = 408;
  readonly code = 'AG_BODY_TIMEOUT';
  constructor(ms: number) {
    super(`The request body did not arrive within ${ms} ms`);
  }
}

/** A multipart body (an upload, on either face: REST streams it, yoga reads the form), or a resumable upload's bytes. */
export function isUpload(req: FastifyRequest): boolean {
  return /^(multipart\/|application\/offset\+octet-stream\s*(;|$))/i.test(req.headers['content-type'] ?? '');
}

const timedOutBodies = new WeakMap<FastifyRequest, BodyTimeoutError>();

/**
 * The body timeout this request met, if any. For handlers that read the body through a library
 * which reports the failure its own way (yoga: a 400 "invalid multipart data").
 */
export function bodyTimeoutOf(req: FastifyRequest): TimeoutError | undefined {
  return timedOutBodies.get(req);
}

/**
 * Header and body timeouts. Headers: Node's headersTimeout (it answers a bare 408 and closes;
 * no route is known yet to choose a face). Body: a timer per request with a body, from the end
 * of the headers; when it fires the body read fails with a 408 that the error handlers answer in
 * the face's shape, and the connection is closed so the slow client cannot go on sending.
 * A multipart body (an upload, on either face) has UPLOAD_BODY_TIMEOUT_MS instead: a large file
 * on a slow line takes minutes. A client that stops sending altogether is cut sooner, by the
 * connection timeout (no traffic either way).
 */
export function addTimeouts(app: FastifyInstance, config: Timeouts) {
  app.addHook('preParsing', (req, reply, payload, done) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || payload.readableEnded) return done(null, payload);
    const deadlineMs = isUpload(req) ? config.uploadBodyTimeoutMs : config.bodyTimeoutMs;
    if (!deadlineMs) return done(null, payload);
    const timer = setTimeout(() => {
      if (reply.sent) return;
      reply.header('connection', 'close');
      const error = new BodyTimeoutError(deadlineMs);
      timedOutBodies.set(req, error);
      payload.emit('error', error);
    }, deadlineMs);
    const stop = () => clearTimeout(timer);
    payload.once('end', stop);
    payload.once('close', stop);
    payload.once('error', stop);
    done(null, payload);
  });
}
