import { useEngine } from '@envelop/core';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/keys.ts';
import { execute, parse, subscribe, type ParseOptions, type ValidationRule } from 'graphql';
import type { Db } from '../db/client.ts';
import type { Files } from '../domain/files/index.ts';
import { createContext, type Context } from './context.ts';
import { toClientError } from './errors.ts';
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

/** Adds the query limits (./limits.ts) to yoga's parsing and validation, as the JSON POST path does. */
function useQueryLimits(rules: ValidationRule[], parseOptions: ParseOptions): Plugin {
  return {
    onParse: ({ setParseFn }) => setParseFn((source) => parse(source, parseOptions)),
    onValidate: ({ addValidationRule }) => rules.forEach(addValidationRule),
  };
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

export interface GraphQLServerOptions {
  endpoint: string;
  db: Db;
  files: Files;
  principalOf: (req: FastifyRequest) => Principal | null | Promise<Principal | null>;
  limitRules: ValidationRule[];
  parseOptions: ParseOptions;
  onInternalError: (error: unknown) => void;
  /** Largest file in a GraphQL multipart request: yoga parses the form into memory before executing. */
  uploadLimitBytes: number;
}

export function createGraphQLServer({ endpoint, db, files, principalOf, limitRules, parseOptions, onInternalError, uploadLimitBytes }: GraphQLServerOptions) {
  return createYoga<{ req: FastifyRequest; reply: FastifyReply }, Context>({
    schema,
    graphqlEndpoint: endpoint,
    logging: false,
    // GraphiQL from the bundled package: no CDN, so it works offline and behind firewalls.
    // Loaded on the first page view: the bundle holds ~80 MB of memory an API server seldom needs.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: {
      title: 'assets-gateway',
      defaultQuery: '{ assets(perPage: 5) { total items { id title assetType } } }',
      // Opens with the Headers pane showing where the API key goes.
      headers: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
      defaultEditorToolsVisibility: 'headers',
    },
    landingPage: false,
    // One file per request, held in memory while yoga parses the form: bounded here.
    fetchAPI: createFetch({ formDataLimits: { fileSize: uploadLimitBytes, files: 1, fields: 2, fieldSize: 64 * 1024, parts: 3 } }),
    // CORS is the app's (@fastify/cors), one policy for /graphql and /api/v1.
    cors: false,
    maskedErrors: {
      maskError: (error) => toClientError(error, onInternalError),
    },
    context: async ({ req }) => createContext(db, files, await principalOf(req)),
    plugins: [
      // graphql-js's own executor, as the JSON POST path and the REST shims run: one engine, so the
      // answers agree byte for byte (key order included), and yoga's @graphql-tools/executor@2
      // (which needs Node 22) is not on the request path.
      useEngine({ execute, subscribe }),
      useQueryLimits(limitRules, parseOptions),
      useFieldNamedVariableErrors,
    ],
  });
}
