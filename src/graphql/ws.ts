import type { FastifyRequest } from 'fastify';
import { execute, GraphQLError, parse, specifiedRules, subscribe, validate, type ExecutionArgs } from 'graphql';
import { makeHandler } from 'graphql-ws/use/@fastify/websocket';
import type { Authenticate } from '../auth/authenticate.ts';
import type { Principal } from '../auth/keys.ts';
import { createContext } from './context.ts';
import { toClientError } from './errors.ts';
import type { GraphQLRequestDeps } from './json-post.ts';
import { documentOf } from './persisted-operations.ts';
import { schema } from './schema.ts';

/**
 * GraphQL over WebSocket (the graphql-ws protocol, `graphql-transport-ws`) on /graphql, for
 * subscriptions (and any operation). Browsers cannot set headers on a WebSocket, so the key comes
 * in the `connection_init` payload, `{"Authorization": "Bearer agk_…"}`, checked by the same
 * authenticator as every HTTP request (a key in the upgrade request's header works too); a
 * connection without a valid key is closed with 4403. Each operation then runs with the rules of
 * the other paths: the persisted-operation rule, graphql-js's validation with the query limits,
 * the schema's scope rules, the key's workspace, and the same error masking.
 */
export function createWebSocketHandler({ db, files, limitRules, parseOptions, persisted, onInternalError }: GraphQLRequestDeps, authenticate: Authenticate) {
  const rules = [...specifiedRules, ...limitRules];
  const principals = new WeakMap<object, Principal>();
  return makeHandler<Record<string, unknown> | undefined>(
    {
      schema,
      execute,
      subscribe,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        const request = ctx.extra.request as FastifyRequest;
        const principal = typeof header === 'string' ? await authenticate(header) : request.principal;
        if (!principal) return false;
        principals.set(ctx, principal);
        return true;
      },
      onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const principal = principals.get(ctx)!;
        const query = documentOf(payload as Parameters<typeof documentOf>[0], principal, persisted);
        if (typeof query !== 'string') return [query instanceof GraphQLError ? query : new GraphQLError('No query')];
        let document: ReturnType<typeof parse>;
        try {
          document = parse(query, parseOptions);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query cannot be parsed')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length) return errors;
        return {
          schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: createContext(db, files, principal),
        };
      },
      // Errors as /graphql shows them: codes, no internals.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map((error) => toClientError(error as GraphQLError, onInternalError).toJSON()) } : undefined,
    },
    12_000,
  );
}
