import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StorageUnavailableError } from '../domain/errors.ts';
import { codeOfStatus, describeInternalError, graphqlErrorBody } from '../graphql/errors.ts';
import { closeIfBodyUnread } from './connections.ts';
import { errorBody, notJsonMessage, retryAfterSeconds, type RestStatus } from '../rest/v1/errors.ts';

/**
 * Errors the HTTP layer answers before a route runs (no route, a URL or body refused, a timeout,
 * a rate limit), each in the shape of the face the client called: GraphQL's `{ errors: [...] }`
 * on /graphql, the REST error catalog everywhere else.
 */
export const graphqlEndpoint = '/graphql';

export function isGraphQLRequest(url: string): boolean {
  return url === graphqlEndpoint || url.startsWith(`${graphqlEndpoint}?`) || url.startsWith(`${graphqlEndpoint}/`);
}

export function sendHttpError(req: FastifyRequest, reply: FastifyReply, status: RestStatus, message: string) {
  if (status === 503) reply.header('retry-after', String(retryAfterSeconds));
  if (isGraphQLRequest(req.url)) {
    return reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(graphqlErrorBody(message, codeOfStatus(status)));
  }
  return reply.status(status).send(errorBody(status, message));
}

/**
 * The status and message for an error Fastify raised while reading a request, or a route raised
 * outside any GraphQL operation (a download whose store is unavailable: 503), or null for anything else.
 */
export function requestErrorAnswer(error: FastifyError, bodyLimit: number): { status: RestStatus; message: string } | null {
  if (error instanceof StorageUnavailableError) return { status: 503, message: error.message };
  if (error.statusCode === 408) return { status: 408, message: error.message };
  if (error.statusCode === 413) return { status: 413, message: `Request body is larger than ${bodyLimit} bytes` };
  if (error.statusCode === 415) return { status: 415, message: notJsonMessage };
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { status: 400, message: 'The request body is empty; send a JSON object' };
  if (error.statusCode === 400) return { status: 400, message: 'The request body is not valid JSON' };
  return null;
}

/** Error handler for every route outside /api/v1 (which has its own, in the same words). */
export function httpErrorHandler(bodyLimit: number) {
  return (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const answer = requestErrorAnswer(error, bodyLimit);
    if (answer) return sendHttpError(req, reply, answer.status, answer.message);
    req.log.error(describeInternalError(error), 'unexpected error');
    return sendHttpError(req, reply, 500, 'An unexpected error occurred');
  };
}

/**
 * Logs a route's failure to reach the file store (a download answering 503), as operations log
 * theirs (src/graphql/errors.ts): the client's 503 alone would leave the operator unaware.
 */
export function logStorageFailures(app: FastifyInstance) {
  app.addHook('onError', async (req, _reply, error) => {
    if (error instanceof StorageUnavailableError) req.log.error(describeInternalError(error), 'file storage unavailable');
  });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  return sendHttpError(req, reply, 404, `No route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
}

/**
 * Errors the router raises before any handler: a path parameter over the router's limit (414;
 * Fastify's own answer echoed the path) and a URL that does not decode (400). No hook runs for
 * these, so the rule for unread bodies is applied here.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  closeIfBodyUnread(req, reply);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendHttpError(req, reply, 414, 'The URL path is too long');
  return sendHttpError(req, reply, 400, 'The URL is malformed');
}
