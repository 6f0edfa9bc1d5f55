import { Readable } from 'node:stream';
import { setSearchLanguage } from './domain/search.ts';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import { createFiles, type Files } from './domain/files/index.ts';
import { scheduleUploadSweeps } from './domain/files/uploads.ts';
import { createSigner, loadSigningSecret } from './domain/files/signing.ts';
import { scheduleEventPruning } from './domain/events.ts';
import { EventHub } from './events/hub.ts';
import { startWakeups } from './events/wakeups.ts';
import { startWebhooks } from './events/webhooks.ts';
import { describeInternalError } from './graphql/errors.ts';
import { addGraphiQL, wantsGraphiQL } from './graphql/graphiql.ts';
import { createJsonPostHandler, type GraphQLRequestDeps } from './graphql/json-post.ts';
import { createWebSocketHandler } from './graphql/ws.ts';
import { withEventIds } from './graphql/sse-ids.ts';
import { queryLimitRules, queryParseOptions } from './graphql/limits.ts';
import { loadPersistedOperations } from './graphql/persisted-operations.ts';
import { possibleTypesOf } from './graphql/possible-types.ts';
import { schema } from './graphql/schema.ts';
import type { GraphQLServer } from './graphql/yoga.ts';
import { addAccessControl } from './http/access.ts';
import { closeUnreadBodies } from './http/connections.ts';
import { addDrain } from './http/drain.ts';
import { addMetrics } from './http/metrics.ts';
import { addTracing } from './http/tracing.ts';
import { frameworkErrors, graphqlEndpoint, httpErrorHandler, logStorageFailures, notFoundHandler, sendHttpError } from './http/errors.ts';
import { readiness } from './http/readiness.ts';
import { logRequests } from './http/request-log.ts';
import { addTimeouts, bodyTimeoutOf, serverTimeoutOptions } from './http/timeouts.ts';
import { root } from './http/root.ts';
import { restV1 } from './rest/v1/index.ts';
import { tusExposedHeaders } from './rest/v1/routes/tus.ts';

export interface AppDeps {
  config: Config;
  db: Db;
  /** File storage and limits; by default the store STORAGE_URL names. */
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
  // Bodies are JSON, or multipart read by the upload handlers: a text/plain body would reach
  // /graphql as a string nothing reads, so it is refused as any other type is (415, face's shape).
  app.removeContentTypeParser('text/plain');
  // First: every hook and handler after it runs inside the request's span.
  addTracing(app);
  addDrain(app);
  closeUnreadBodies(app);
  addTimeouts(app, config);
  app.setErrorHandler(httpErrorHandler(config.bodyLimit));
  app.setNotFoundHandler(notFoundHandler);
  logStorageFailures(app);

  logRequests(app);

  const { previous } = await setSearchLanguage(db, config.searchLanguage);
  if (previous !== null && previous !== config.searchLanguage) {
    app.log.warn(
      `SEARCH_LANGUAGE changed from ${previous} to ${config.searchLanguage}: new and changed assets are indexed in ${config.searchLanguage}; run \`npm run search:backfill -- --all\` to reindex the others`,
    );
  }

  files.signing.signer = createSigner(await loadSigningSecret(db, config.urlSigningSecret));

  // Browsers may call both faces from any origin: keys travel in a header, never in cookies.
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // Headers a browser app must be able to read: limits and retries, a download's name, validator and range, and a resumable upload's state.
    exposedHeaders: [
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'Retry-After',
      'ETag',
      'Content-Disposition',
      'Content-Range',
      'X-Rendition-Cache',
      ...tusExposedHeaders,
    ],
    maxAge: 600,
  });
  // Multipart bodies are left unread until a handler streams them: /api/v1/uploads through
  // @fastify/multipart, /graphql through yoga (the GraphQL multipart request spec).
  await app.register(multipart);

  const authenticate = createAuthenticator(db, { cacheTtlMs: config.keyCacheTtlMs });
  await addAccessControl(app, config, authenticate);
  addMetrics(app, config);
  // The same rules for both GraphQL paths.
  const graphqlDeps: GraphQLRequestDeps = {
    db,
    files,
    principalOf: (req: FastifyRequest) => req.principal,
    limitRules: queryLimitRules(config),
    parseOptions: queryParseOptions(config),
    persisted: loadPersistedOperations(config.persistedOperations),
    onInternalError: (error: unknown) => app.log.error(describeInternalError(error), 'unexpected error in /graphql'),
  };
  // Subscriptions (src/graphql/types/events.ts): one hub per process reads the event log for all of them.
  const hub = new EventHub(
    db,
    { perKey: config.subscriptionsPerKey, perProcess: config.subscriptionsPerProcess, keyCheckMs: config.keyCacheTtlMs, pollMs: config.eventsPollMs },
    (error) => app.log.error(describeInternalError(error), 'event delivery failed'),
  );
  // Webhook deliveries on pg-boss (PostgreSQL only: src/events/webhooks.ts).
  const webhooks = await startWebhooks(db, config, { error: (error, message) => app.log.error(describeInternalError(error), message) });
  const stopWakeups = await startWakeups(
    db,
    config,
    () => {
      hub.wake();
      webhooks?.wake();
    },
    (error) => app.log.warn(describeInternalError(error), 'event wake-ups unavailable'),
  );
  // A stop ends the subscriptions (clients resume with `after` on another process) and closes the
  // WebSockets: when a drain begins, and before the server closes (it waits for the connections
  // that still carry an answer).
  const endLiveUpdates = async () => {
    await hub.close();
    for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'Server stopping');
  };
  app.drain.onStop(endLiveUpdates);
  app.addHook('preClose', endLiveUpdates);
  app.addHook('onClose', async () => {
    await stopWakeups();
    await webhooks?.stop();
  });
  await app.register(websocket, { options: { maxPayload: config.bodyLimit } });
  const handleJsonPost = config.graphqlJsonFastPath ? createJsonPostHandler(graphqlDeps) : null;
  // graphql-yoga (~10-20 MB of memory) is loaded when the first request needs it: GraphiQL, GET,
  // or anything else the JSON POST path leaves to it.
  let yoga: Promise<GraphQLServer> | undefined;
  let possibleTypes: string | undefined;
  const yogaServer = () =>
    (yoga ??= import('./graphql/yoga.ts').then(({ createGraphQLServer }) =>
      createGraphQLServer({ ...graphqlDeps, endpoint: graphqlEndpoint, uploadLimitBytes: config.graphqlUploadLimitBytes }),
    ));
  const graphiqlPage = addGraphiQL(app, graphqlEndpoint);
  const handleGraphQL = async (req: FastifyRequest, reply: FastifyReply) => {
    if (wantsGraphiQL(req)) return graphiqlPage(req, reply);
    if (handleJsonPost && (await handleJsonPost(req, reply))) return reply;
    const response = await (await yogaServer()).handleNodeRequestAndResponse(req, reply, { req, reply });
    const timedOut = bodyTimeoutOf(req);
    if (timedOut) return sendHttpError(req, reply, 408, timedOut.message);
    response.headers.forEach((value, key) => void reply.header(key, value));
    reply.status(response.status);
    // A JSON result is sent as one string (one write, with Content-Length); only streams
    // (subscriptions, incremental delivery) are piped.
    const streaming = /^(text\/event-stream|multipart\/mixed)/.test(response.headers.get('content-type') ?? '');
    const eventStream = streaming && response.body && response.headers.get('content-type')?.startsWith('text/event-stream');
    reply.send(
      eventStream ? Readable.from(withEventIds(response.body as unknown as AsyncIterable<Uint8Array>)) : streaming ? response.body : await response.text(),
    );
    return reply;
  };
  // GraphQL over WebSocket (graphql-ws): the upgrade of a GET.
  app.route({ url: graphqlEndpoint, method: 'GET', handler: handleGraphQL, wsHandler: createWebSocketHandler(graphqlDeps, authenticate) });
  app.route({ url: graphqlEndpoint, method: 'POST', handler: handleGraphQL });

  // The type names a client cache needs (docs/clients.md); schema.graphql shows them to anyone, so
  // no key is asked. Computed once, from the schema the server runs.
  app.get(`${graphqlEndpoint}/possible-types.json`, async (_req, reply) => {
    possibleTypes ??= JSON.stringify(possibleTypesOf(schema));
    return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(possibleTypes);
  });

  await app.register(restV1, { prefix: '/api/v1', db, files, bodyLimit: config.bodyLimit });

  // Unattached uploads expire (UPLOAD_TTL_HOURS): swept when the app is ready, then hourly, by one process of those sharing the database.
  let stopSweeps: (() => Promise<void>) | undefined;
  let stopPruning: (() => Promise<void>) | undefined;
  app.addHook('onReady', async () => {
    stopPruning = scheduleEventPruning(db, config.eventRetentionHours, {
      pruned: (deleted) => app.log.info({ deleted }, 'event log pruned'),
      error: (error) => app.log.error(describeInternalError(error), 'event pruning failed'),
    });
    stopSweeps = scheduleUploadSweeps(db, files, {
      swept: (deleted) => app.log.info({ deleted }, 'upload sweep'),
      error: (error) => app.log.error(describeInternalError(error), 'upload sweep failed'),
    });
  });
  app.addHook('onClose', async () => {
    await stopSweeps?.();
    await stopPruning?.();
  });

  await root(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    // A stopping process finishes what it has but takes nothing new (src/index.ts).
    if (app.drain.stopping) return reply.status(503).send({ status: 'stopping' });
    const state = await readiness(db, files, config);
    return reply.status(state.status === 'ready' ? 200 : 503).send(state);
  });

  return app;
}
