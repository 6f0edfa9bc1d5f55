import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticate } from '../auth/authenticate.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Context } from './context.ts';
import { describeInternalError, toClientError } from './errors.ts';
import { explainVariableErrors } from './input-errors.ts';
import { schema } from './schema.ts';

/** Variables of the wrong type come back as BAD_USER_INPUT errors naming the field. */
const useFieldNamedVariableErrors: Plugin = {
  onExecute: ({ args }) => ({
    onExecuteDone: ({ result, setResult }) => {
      if (!('errors' in result) || !result.errors?.length || result.data !== undefined) return;
      const explained = explainVariableErrors(args.schema, args.document, args.variableValues ?? undefined, args.operationName);
      if (explained.length) setResult({ errors: explained });
    },
  }),
};

export function createGraphQLServer(config: Config, db: Db, authenticate: Authenticate, log: FastifyBaseLogger) {
  return createYoga<{ req: FastifyRequest; reply: FastifyReply }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: false,
    // GraphiQL from the bundled package: no CDN, so it works offline and behind firewalls.
    // Loaded on the first page view: the bundle holds ~80 MB of memory an API server seldom needs.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: { title: 'assets-gateway', defaultQuery: '{ assets(perPage: 5) { total items { id title assetType } } }' },
    landingPage: false,
    maskedErrors: {
      maskError: (error) => toClientError(error, (internal) => log.error(describeInternalError(internal), 'unexpected error in /graphql')),
    },
    context: async ({ request }) => ({ db, principal: await authenticate(request.headers.get('authorization')) }),
    plugins: [
      maxDepthPlugin({ n: config.maxQueryDepth, exposeLimits: true }),
      costLimitPlugin({ maxCost: config.maxQueryCost, exposeLimits: true }),
      maxAliasesPlugin({ n: config.maxQueryAliases, exposeLimits: true }),
      useFieldNamedVariableErrors,
    ],
  });
}
