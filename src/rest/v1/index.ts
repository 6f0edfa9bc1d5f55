import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Authenticate } from '../../auth/authenticate.ts';
import type { Db } from '../../db/client.ts';
import type { Files } from '../../domain/files/index.ts';
import { ValidationError } from '../../domain/errors.ts';
import { describeInternalError } from '../../graphql/errors.ts';
import { assetRoutes } from './assets.ts';
import { downloadRoutes, notMultipartMessage, uploadRoutes } from './files.ts';
import { collectionRoutes } from './collections.ts';
import { notJsonMessage, sendError } from './errors.ts';
import { libraryRoutes } from './libraries.ts';
import { toRestName } from './naming.ts';
import { openApiDocument } from './openapi.ts';
import { authenticatedShim } from './shim.ts';

/** /api/v1: the legacy REST face. Every answer, errors included, has the catalog's shape. */
export async function restV1(app: FastifyInstance, { db, files, authenticate, bodyLimit }: { db: Db; files: Files; authenticate: Authenticate; bodyLimit: number }) {
  // Fastify refuses a body before any route runs; answer in the catalog's words.
  app.setErrorHandler((error: FastifyError, req, reply) => {
    // A route may refuse a value in the contract's own words before any operation runs (./enums.ts).
    if (error instanceof ValidationError) return sendError(reply, 400, error.message, toRestName(error.field));
    if (error.statusCode === 415) return sendError(reply, 415, req.url.split('?')[0].endsWith('/uploads') ? notMultipartMessage : notJsonMessage);
    if (error.statusCode === 413) return sendError(reply, 413, `Request body is larger than ${bodyLimit} bytes`);
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendError(reply, 400, 'The request body is empty; send a JSON object');
    if (error.statusCode === 400) return sendError(reply, 400, 'The request body is not valid JSON');
    req.log.error(describeInternalError(error), 'unexpected error');
    return sendError(reply, 500, 'An unexpected error occurred');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `No route ${req.method} ${req.url.split('?')[0]}`));

  await app.register(async (scope) => {
    const shim = authenticatedShim(scope, { db, files, authenticate });
    assetRoutes(scope, shim);
    collectionRoutes(scope, shim);
    libraryRoutes(scope, shim);
  });
  await app.register(async (scope) => uploadRoutes(scope, { db, files, authenticate }));
  await app.register(async (scope) => downloadRoutes(scope, { db, files, authenticate }));

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
