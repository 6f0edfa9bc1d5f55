import type { FastifyInstance } from 'fastify';
import { sendError } from '../rest/v1/errors.ts';

/** What `GET /` lists: where each face of the API and its docs are. */
export const rootLinks = {
  name: 'assets-gateway',
  graphql: '/graphql',
  graphiql: '/graphql',
  possibleTypes: '/graphql/possible-types.json',
  rest: '/api/v1',
  restDocs: '/api/v1/docs',
  openapi: '/api/v1/openapi.json',
  health: '/healthz',
};

/**
 * `GET /` answers with links (JSON: what curl and scripts read, and browsers show it legibly),
 * and a route nobody serves answers in the REST error shape rather than Fastify's default.
 */
export async function root(app: FastifyInstance) {
  app.get('/', async () => rootLinks);
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `No route ${req.method} ${req.url.split('?')[0]}`));
}
