import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { DateTimeResolver, SafeIntResolver, URLResolver, UUIDResolver } from 'graphql-scalars';
import { allScopes, type Scope } from '../auth/scopes.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { Context } from './context.ts';
import type { FileUpload } from '../domain/files/uploads.ts';
import { forbiddenError, unauthenticatedError } from './errors.ts';

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

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: Record<Scope, boolean>;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    UUID: { Input: string; Output: string };
    URL: { Input: URL; Output: URL | string };
    SafeInt: { Input: number; Output: number };
    File: { Input: FileUpload; Output: never };
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    // Select mode everywhere: a query reads only the columns its selection needs.
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  scopeAuth: {
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
    // Assets keep their UUIDs as ids (the REST API shows them); no global Node ids.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('UUID', UUIDResolver);
builder.addScalarType('URL', URLResolver);
builder.addScalarType('SafeInt', SafeIntResolver);

builder.queryType({});
builder.mutationType({});
