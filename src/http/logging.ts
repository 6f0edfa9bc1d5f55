import type { FastifyRequest } from 'fastify';

/**
 * What the request log may show of a request. Clients put credentials where they should not
 * (`?api_key=agk_…`, `?token=`), so logged URLs lose the values of credential-like parameters
 * and anything shaped like one of our keys; headers carrying credentials are never logged.
 */
const credentialParam = /([?&](?:api[_-]?key|key|token|access[_-]?token|auth|authorization|password|secret)=)[^&#]*/gi;
const apiKeyShape = /agk_[A-Za-z0-9_-]+/g;
export const redacted = '[REDACTED]';

export function redactUrl(url: string): string {
  return url.replace(credentialParam, `$1${redacted}`).replace(apiKeyShape, redacted);
}

export const requestLogSerializers = {
  req: (req: FastifyRequest) => ({
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

/** pino paths that must never reach the log, should anyone log headers. */
export const redactedLogPaths = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'headers.authorization'];
