import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import { createFiles, type Files } from './domain/files/index.ts';
import { scheduleUploadSweeps } from './domain/files/uploads.ts';
import { describeInternalError } from './graphql/errors.ts';
import { createJsonPostHandler } from './graphql/json-post.ts';
import { queryLimitRules, queryParseOptions } from './graphql/limits.ts';
import { possibleTypesOf } from './graphql/possible-types.ts';
import { schema } from './graphql/schema.ts';
import type { GraphQLServer } from './graphql/yoga.ts';
import { addAccessControl } from './http/access.ts';
import { frameworkErrors, graphqlEndpoint, httpErrorHandler, notFoundHandler, sendHttpError } from './http/errors.ts';
import { logRequests } from './http/request-log.ts';
import { addTimeouts, bodyTimeoutOf, serverTimeoutOptions } from './http/timeouts.ts';
import { root } from './http/root.ts';
import { restV1, restV1Docs } from './rest/v1/index.ts';

export interface AppDeps {
  config: Config;
  db: Db;
  /** File storage and limits; by default local disk under DATA_DIR/uploads. */
  files?: Files;
}

/** The HTTP app: /graphql, /api/v1, health. Never listens; src/index.ts and the tests do. */
export async function buildApp({ config, db, files = createFiles(config) }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    // One line per request instead of Fastify's two (./http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // Clients see our error shapes, never Fastify's defaults with internals.
    return503OnClosing: true,
    frameworkErrors,
    ...serverTimeoutOptions(config),
  });
  addTimeouts(app, config);
  app.setErrorHandler(httpErrorHandler(config.bodyLimit));
  app.setNotFoundHandler(notFoundHandler);

  logRequests(app);

  // Browsers may call both faces from any origin: keys travel in a header, never in cookies.
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // Headers a browser app must be able to read: limits and retries, and a download's name, validator and range.
    exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'ETag', 'Content-Disposition', 'Content-Range'],
    maxAge: 600,
  });
  // Multipart bodies are left unread until a handler streams them: /api/v1/uploads through
  // @fastify/multipart, /graphql through yoga (the GraphQL multipart request spec).
  await app.register(multipart);

  const authenticate = createAuthenticator(db, { cacheTtlMs: config.keyCacheTtlMs });
  await addAccessControl(app, config, authenticate);
  const principalOf = (req: FastifyRequest) => req.principal;
  const onInternalError = (error: unknown) => app.log.error(describeInternalError(error), 'unexpected error in /graphql');
  const limitRules = queryLimitRules(config);
  const parseOptions = queryParseOptions(config);
  const handleJsonPost = config.graphqlJsonFastPath ? createJsonPostHandler({ db, files, principalOf, limitRules, parseOptions, onInternalError }) : null;
  // graphql-yoga (~10-20 MB of memory) is loaded when the first request needs it: GraphiQL, GET,
  // or anything else the JSON POST path leaves to it.
  let yoga: Promise<GraphQLServer> | undefined;
  let possibleTypes: string | undefined;
  const yogaServer = () =>
    (yoga ??= import('./graphql/yoga.ts').then(({ createGraphQLServer }) =>
      createGraphQLServer({
        endpoint: graphqlEndpoint,
        db,
        files,
        principalOf,
        limitRules,
        parseOptions,
        onInternalError,
        uploadLimitBytes: config.graphqlUploadLimitBytes,
      }),
    ));
  app.route({
    url: graphqlEndpoint,
    method: ['GET', 'POST'],
    handler: async (req, reply) => {
      if (handleJsonPost && (await handleJsonPost(req, reply))) return reply;
      const response = await (await yogaServer()).handleNodeRequestAndResponse(req, reply, { req, reply });
      const timedOut = bodyTimeoutOf(req);
      if (timedOut) return sendHttpError(req, reply, 408, timedOut.message);
      response.headers.forEach((value, key) => void reply.header(key, value));
      reply.status(response.status);
      // A JSON result is sent as one string (one write, with Content-Length); only streams
      // (subscriptions, incremental delivery) are piped.
      const streaming = /^(text\/event-stream|multipart\/mixed)/.test(response.headers.get('content-type') ?? '');
      reply.send(streaming ? response.body : await response.text());
      return reply;
    },
  });

  // The type names a client cache needs (docs/clients.md); schema.graphql shows them to anyone, so
  // no key is asked. Computed once, from the schema the server runs.
  app.get(`${graphqlEndpoint}/possible-types.json`, async (_req, reply) => {
    possibleTypes ??= JSON.stringify(possibleTypesOf(schema));
    return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(possibleTypes);
  });

  await app.register(restV1, { prefix: '/api/v1', db, files, bodyLimit: config.bodyLimit });
  await app.register(restV1Docs);

  // Unattached uploads expire (UPLOAD_TTL_HOURS): swept when the app is ready, then hourly.
  let stopSweeps: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stopSweeps = scheduleUploadSweeps(db, files, (error) => app.log.error(describeInternalError(error), 'upload sweep failed'));
  });
  app.addHook('onClose', async () => stopSweeps?.());

  await root(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await db.$queryRaw`SELECT 1`;
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  return app;
}
