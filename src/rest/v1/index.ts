import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.ts';
import { ValidationError } from '../../domain/errors.ts';
import { describeInternalError } from '../../graphql/errors.ts';
import { assetRoutes } from './assets.ts';
import { keyRoutes } from './keys.ts';
import { requestErrorAnswer } from '../../http/errors.ts';
import { sendError } from './errors.ts';
import { toRestName } from './naming.ts';
import { openApiDocument } from './openapi.ts';

/** /api/v1: the legacy REST face. Every answer, errors included, has the catalog's shape. */
export async function restV1(app: FastifyInstance, { db, bodyLimit }: { db: Db; bodyLimit: number }) {
  // Fastify refuses a body before any route runs; answer in the catalog's words.
  app.setErrorHandler((error: FastifyError, req, reply) => {
    // A route may refuse a value in the contract's own words before any operation runs (./enums.ts).
    if (error instanceof ValidationError) return sendError(reply, 400, error.message, toRestName(error.field));
    const answer = requestErrorAnswer(error, bodyLimit);
    if (answer) return sendError(reply, answer.status, answer.message);
    req.log.error(describeInternalError(error), 'unexpected error');
    return sendError(reply, 500, 'An unexpected error occurred');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `No route ${req.method} ${req.url.split('?')[0]}`));

  await app.register(async (scope) => assetRoutes(scope, { db }));
  await app.register(async (scope) => keyRoutes(scope, { db }));

  app.get('/openapi.json', async () => openApiDocument);
}

/**
 * The docs page at /api/v1/docs: Swagger UI served from the package (no CDN) over the same
 * document. Registered at the root, because Swagger UI writes its asset paths from its own prefix.
 */
export async function restV1Docs(app: FastifyInstance) {
  await app.register(swagger, { mode: 'static', specification: { document: openApiDocument as never } });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', uiConfig: { persistAuthorization: true } });
}
