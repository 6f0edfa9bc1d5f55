import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ValidationError } from '../../domain/errors.ts';
import { describeInternalError } from '../../graphql/errors.ts';
import { requestErrorAnswer } from '../../http/errors.ts';
import { errorSchemas, sendError } from './errors.ts';
import { toRestName } from './naming.ts';
import { answerSchemas, paginationSchema, registerRestRoutes, type RestDeps, type RestRoute } from './route-table.ts';
import { assetRoutes } from './routes/assets.ts';
import { collectionRoutes } from './routes/collections.ts';
import { fileRoutes, notMultipartMessage } from './routes/files.ts';
import { keyRoutes } from './routes/keys.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { libraryRoutes } from './routes/libraries.ts';
import { resumableUploads } from './routes/tus.ts';
import { searchRoutes } from './routes/search.ts';

/** Every route of /api/v1, in the order the OpenAPI document lists them. */
export function restRoutes(deps: RestDeps): RestRoute[] {
  return [...assetRoutes, ...searchRoutes, ...fileRoutes(deps), ...collectionRoutes, ...libraryRoutes, ...keyRoutes, ...webhookRoutes];
}

const tags = [
  { name: 'assets', description: 'Assets of your workspace: list, read, create, update, delete and restore; their files and thumbnails.' },
  { name: 'uploads', description: 'Files to create assets from.' },
  { name: 'collections', description: 'The ordered items of a collection asset.' },
  { name: 'libraries', description: 'Named groups of assets.' },
  { name: 'keys', description: 'API keys of your workspace (scope `admin:keys`).' },
  { name: 'webhooks', description: 'Webhook endpoints of your workspace, their deliveries and attempts (scope `admin:webhooks`).' },
];

/**
 * /api/v1: the legacy REST face, registered from its route table (./route-table.ts), which also
 * gives @fastify/swagger what it needs to write the OpenAPI document at /api/v1/openapi.json and
 * the docs page at /api/v1/docs. Every answer, errors included, has the catalog's shape.
 */
export async function restV1(app: FastifyInstance, { db, files, bodyLimit }: RestDeps & { bodyLimit: number }) {
  // Fastify refuses a body before any route runs; answer in the catalog's words.
  app.setErrorHandler((error: FastifyError, req, reply) => {
    // A request refused by a route's schema names its field (./route-table.ts); so may a route's own check.
    if (error instanceof ValidationError) return sendError(reply, 400, error.message, error.field ? toRestName(error.field) : undefined);
    if (error.statusCode === 415 && req.url.split('?')[0].endsWith('/uploads')) return sendError(reply, 415, notMultipartMessage);
    const answer = requestErrorAnswer(error, bodyLimit);
    if (answer) return sendError(reply, answer.status, answer.message);
    req.log.error(describeInternalError(error), 'unexpected error');
    return sendError(reply, 500, 'An unexpected error occurred');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `No route ${req.method} ${req.url.split('?')[0]}`));

  const routes = restRoutes({ db, files });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Assets API',
        version: '1.0.0',
        description:
          'List, create and manage digital assets. Every route needs `Authorization: Bearer <key>` (public assets download ' +
          'without one); each route says which scope its key needs. The same data is served over GraphQL at /graphql.',
      },
      servers: [{ url: '/api/v1' }],
      tags,
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer agk_…`' } } },
    },
    convertConstToEnum: false, // OpenAPI 3.1 has const
    // Shared schemas keep their names as components (#/components/schemas/Asset …).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  for (const shared of [...errorSchemas, paginationSchema, ...answerSchemas(routes.flatMap((route) => (route.answer ? [route.answer] : [])))]) {
    app.addSchema(shared);
  }
  registerRestRoutes(app, routes, { db, files });
  await app.register(resumableUploads, { db, files });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Swagger UI served from the package (no CDN); indexPrefix: its page names its files from the app's root.
  await app.register(swaggerUi, { routePrefix: '/docs', indexPrefix: app.prefix, uiConfig: { persistAuthorization: true } });
}

/** The OpenAPI document of /api/v1, as the server serves it, without a database (for tests and tools). */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  await app.register(restV1, { prefix: '/api/v1', db: null as never, files: null as never, bodyLimit: 0 });
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  await app.close();
  return response.json();
}
