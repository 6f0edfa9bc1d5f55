import type { FastifyInstance } from 'fastify';

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
 * `GET /` answers with links (JSON: what curl and scripts read, and browsers show it legibly).
 * A route nobody serves answers in its face's error shape (./errors.ts, notFoundHandler).
 */
export async function root(app: FastifyInstance) {
  app.get('/', async () => rootLinks);
}
