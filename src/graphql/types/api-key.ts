import { allScopes, scopeRule } from '../../auth/scopes.ts';
import { createWorkspaceKey, listWorkspaceKeys, maxKeyNameLength, revokeWorkspaceKey } from '../../domain/api-keys.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { builder } from '../builder.ts';
import { rules } from '../rules.ts';

interface ApiKeyShape {
  prefix: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Keys are named by their public prefix (the secret is shown once, at creation); they are not Nodes. */
const ApiKeyRef = builder.objectRef<ApiKeyShape>('ApiKey').implement({
  description: 'An API key of your workspace. Never its secret.',
  fields: (t) => ({
    prefix: t.exposeString('prefix', { description: 'Public; names the key in lists, logs and revocation.' }),
    name: t.exposeString('name'),
    scopes: t.exposeStringList('scopes'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Recorded at most once a minute per process.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<{ key: string; apiKey: ApiKeyShape }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The whole key: shown this once, stored only as a hash.' }),
    apiKey: t.field({ type: ApiKeyRef, resolve: (created) => created.apiKey }),
  }),
});

/** Longer than any scope's name: what passes it is refused by name (an unknown scope). */
const maxScopeLength = 50;

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({
      required: true,
      description: `At most ${maxKeyNameLength} characters.`,
      extensions: rules({ minLength: 1, maxLength: maxKeyNameLength }),
    }),
    scopes: t.stringList({
      required: true,
      description: `Scopes the new key carries (${allScopes.join(', ')}); only scopes the calling key holds.`,
      extensions: rules({ minItems: 1, items: { maxLength: maxScopeLength } }),
    }),
    expiresAt: t.field({ type: 'DateTime', required: false, description: 'When the key stops working; never when omitted.' }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: 'The API keys of your workspace, revoked ones included.',
    authScopes: scopeRule('Query', 'apiKeys'),
    resolve: (_root, _args, ctx) => listWorkspaceKeys(ctx.db, ctx.principal!.workspaceId),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    description: 'Creates an API key in your workspace; its secret is in the answer only.',
    authScopes: scopeRule('Mutation', 'createApiKey'),
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => createWorkspaceKey(ctx.db, ctx.principal!, input),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Revokes a key of your workspace: it stops working on the next request, on every gateway process sharing Redis.',
    authScopes: scopeRule('Mutation', 'revokeApiKey'),
    args: {
      prefix: t.arg.string({ required: true, description: 'The public prefix of the key (`agk_` and 12 characters).', extensions: rules({ maxLength: 100 }) }),
    },
    resolve: async (_root, { prefix }, ctx) => {
      const revoked = await revokeWorkspaceKey(ctx.db, ctx.principal!.workspaceId, prefix);
      if (!revoked) throw new NotFoundError('API key not found');
      return revoked;
    },
  }),
}));
