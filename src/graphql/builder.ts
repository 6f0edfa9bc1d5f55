import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import TracingPlugin, { isRootField } from '@pothos/plugin-tracing';
import { createOpenTelemetryWrapper } from '@pothos/tracing-opentelemetry';
import { DateTimeResolver, SafeIntResolver } from 'graphql-scalars';
import { allScopes, type Scope } from '../auth/scopes.ts';
import { absoluteHttpUrl } from '../domain/assets.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { Context } from './context.ts';
import type { FileUpload } from '../domain/files/uploads.ts';
import { forbiddenError, unauthenticatedError } from './errors.ts';
import { rules } from './rules.ts';
import { tracer, tracingOn } from '../tracing.ts';

/** The first scope named in a scope-auth failure, for the FORBIDDEN message. */
function missingScope(failure: AuthFailure): string | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope) return String(failure.scope);
  if ('failures' in failure) {
    for (const inner of failure.failures) {
      const scope = missingScope(inner);
      if (scope) return scope;
    }
  }
  return undefined;
}

/**
 * A cursor is base64 of an id and a sort value. A title of 500 characters takes up to 2,000 bytes of
 * UTF-8, so the gateway's own cursors stay under ~2,800 characters: anything longer is none of ours.
 */
export const cursorRules = rules({ maxLength: 4096 });

const traceResolver = createOpenTelemetryWrapper<boolean>(tracer);

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: Record<Scope, boolean>;
  DefaultFieldNullability: false;
  // Every connection counts its whole list on demand (./connections.ts).
  Connection: { totalCount: () => Promise<number> };
  Scalars: {
    // graphql-js hands every ID input over as a string.
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    URL: { Input: string | null; Output: string };
    SafeInt: { Input: number; Output: number };
    File: { Input: FileUpload; Output: never };
  };
}>({
  // Tracing first, so that a resolver's span covers what the other plugins add (its scope check).
  plugins: [TracingPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    // Select mode everywhere: a query reads only the columns its selection needs.
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  tracing: {
    // A span per root field (`graphql.resolve`, with its path): the resolvers that reach the
    // database, whose Prisma spans become its children. Off (src/tracing.ts), the resolver runs bare.
    default: (config) => isRootField(config),
    wrap: (resolver, options) => {
      const traced = traceResolver(resolver, options);
      return (parent, args, context, info) => (tracingOn() ? traced : resolver)(parent, args, context, info);
    },
  },
  scopeAuth: {
    // A subscription's scope is checked when it starts (then on each key check of src/events/hub.ts), not on each event.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => {
      const scopes = ctx.principal?.scopes;
      return Object.fromEntries(allScopes.map((scope) => [scope, scopes?.has(scope) ?? false])) as Record<Scope, boolean>;
    },
    unauthorizedError: (_parent, ctx, _info, result) => {
      if (!ctx.principal) return unauthenticatedError();
      return forbiddenError(missingScope(result.failure) ?? 'the required');
    },
  },
  relay: {
    // Ids are the objects' UUIDs, globally unique, so `node`/`nodes` are ours (./types/node.ts).
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
    // `nodes` beside `edges`: clients that need no cursor per item skip a level.
    nodesOnConnection: true,
    beforeArgOptions: { extensions: cursorRules },
    afterArgOptions: { extensions: cursorRules },
  },
});

/** The builder's type parameters, for helpers that build fields outside a `fields` callback. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

builder.addScalarType('DateTime', DateTimeResolver);
/**
 * URLs stay the strings clients gave (trimmed), so what is stored and shown is what was sent;
 * the scalar only admits absolute http(s) URLs. A blank string means none, as REST always had it.
 */
builder.scalarType('URL', {
  description: 'An absolute http or https URL. Surrounding spaces are trimmed; an empty string means none.',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new TypeError('URL must be a string');
    const trimmed = value.trim();
    if (!trimmed) return null;
    if (!absoluteHttpUrl(trimmed)) throw new TypeError('URL must be an absolute http or https URL');
    return trimmed;
  },
});
builder.addScalarType('SafeInt', SafeIntResolver);

builder.queryType({});
builder.mutationType({});
