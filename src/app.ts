import Fastify, { type FastifyInstance } from 'fastify';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { restV1, restV1Docs } from './rest/v1/index.ts';

export interface AppDeps {
  config: Config;
  db: Db;
}

/** The HTTP app: /graphql, /api/v1, health. Never listens; src/index.ts and the tests do. */
export async function buildApp({ config, db }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Clients see our error shapes, never Fastify's defaults with internals.
    return503OnClosing: true,
  });

  const authenticate = createAuthenticator(db, { cacheTtlMs: config.keyCacheTtlMs });
  const yoga = createGraphQLServer(config, db, authenticate, app.log);
  app.route({
    url: yoga.graphqlEndpoint,
    method: ['GET', 'POST', 'OPTIONS'],
    handler: async (req, reply) => {
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => void reply.header(key, value));
      reply.status(response.status);
      // A JSON result is sent as one string (one write, with Content-Length); only streams
      // (subscriptions, incremental delivery) are piped.
      const streaming = /^(text\/event-stream|multipart\/mixed)/.test(response.headers.get('content-type') ?? '');
      reply.send(streaming ? response.body : await response.text());
      return reply;
    },
  });

  await app.register(restV1, { prefix: '/api/v1', db, authenticate, bodyLimit: config.bodyLimit });
  await app.register(restV1Docs);

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
