/**
 * The scope table: every scope a key can carry, and the scope each root field needs (a list:
 * any one of them).
 * Pothos scope-auth enforces it (src/graphql/builder.ts); a test checks that every root
 * field of the schema appears here, so a new field cannot ship without a rule.
 */
// Two scopes guard no field of the schema: explore:graphql lets a key send documents of its own
// under PERSISTED_OPERATIONS=require (src/graphql/persisted-operations.ts), read:metrics lets it
// read GET /metrics (src/http/metrics.ts).
export const allScopes = [
  'read:assets',
  'write:assets',
  'read:libraries',
  'write:libraries',
  'admin:keys',
  'explore:graphql',
  'read:metrics',
  'admin:webhooks',
] as const;
export type Scope = (typeof allScopes)[number];

export const rootFieldScopes = {
  Query: {
    asset: 'read:assets',
    assets: 'read:assets',
    assetsConnection: 'read:assets',
    searchAssets: 'read:assets',
    searchAssetsPage: 'read:assets',
    // Each object found is then shown only to a key with its type's read scope (src/graphql/types/node.ts).
    node: ['read:assets', 'read:libraries'],
    nodes: ['read:assets', 'read:libraries'],
    library: 'read:libraries',
    libraries: 'read:libraries',
    apiKeys: 'admin:keys',
    webhooks: 'admin:webhooks',
    webhookDeliveries: 'admin:webhooks',
  },
  Mutation: {
    createAsset: 'write:assets',
    uploadFile: 'write:assets',
    updateAsset: 'write:assets',
    // A soft delete, undone by restoreAsset with the same scope: a delete scope of its own would
    // guard nothing that write:assets cannot already undo or overwrite (see README).
    deleteAsset: 'write:assets',
    restoreAsset: 'write:assets',
    // A collection is an asset: its items are written like its other fields.
    addCollectionItems: 'write:assets',
    removeCollectionItems: 'write:assets',
    reorderCollectionItems: 'write:assets',
    createLibrary: 'write:libraries',
    updateLibrary: 'write:libraries',
    deleteLibrary: 'write:libraries',
    createApiKey: 'admin:keys',
    revokeApiKey: 'admin:keys',
    createWebhook: 'admin:webhooks',
    deleteWebhook: 'admin:webhooks',
    testWebhook: 'admin:webhooks',
    retryWebhookDelivery: 'admin:webhooks',
  },
  Subscription: {
    // Each event is of the key's workspace only (src/events/hub.ts).
    assetEvents: 'read:assets',
  },
} as const satisfies Record<'Query' | 'Mutation' | 'Subscription', Record<string, Scope | readonly Scope[]>>;

/**
 * Fields below the root that cross from one kind of object to another: each needs the read
 * scope of what it shows, so that, e.g., a key without read:libraries learns nothing of libraries
 * through its assets (it still sees `Asset.libraryId`, a column of the asset).
 */
export const crossingFieldScopes = {
  Asset: { library: 'read:libraries' },
  Library: { assets: 'read:assets' },
  LibraryFacet: { library: 'read:libraries' },
} as const satisfies Record<string, Record<string, Scope | readonly Scope[]>>;

/** Every field with a scope rule, by type: what scope-auth enforces and what the REST routes' documents need. */
export const scopeTable = { ...rootFieldScopes, ...crossingFieldScopes };

/** The scopes of a field's rule (any one of them grants it), or none when the tables above name no rule for it. */
export function fieldScopes(type: string, field: string): readonly Scope[] {
  const rule = (scopeTable as Record<string, Record<string, Scope | readonly Scope[]> | undefined>)[type]?.[field];
  return rule === undefined ? [] : typeof rule === 'string' ? [rule] : rule;
}

/** Whether `held` grants a field whose rule is `scopes` (a field without a rule: always). */
export function grants(held: ReadonlySet<string> | undefined, scopes: readonly Scope[]): boolean {
  return scopes.length === 0 || scopes.some((scope) => held?.has(scope));
}

/** `authScopes` option for a field, read from the tables above. */
export function scopeRule<T extends keyof typeof scopeTable>(type: T, field: keyof (typeof scopeTable)[T]): { [scope in Scope]?: true } {
  // scope-auth grants a field when any scope of the object is held.
  return Object.fromEntries(fieldScopes(type, field as string).map((scope) => [scope, true]));
}

export function parseScopes(list: string): Scope[] {
  const scopes = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(allScopes as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`Unknown scope ${unknown.join(', ')}; known scopes: ${allScopes.join(', ')}`);
  if (!scopes.length) throw new Error(`At least one scope is required; known scopes: ${allScopes.join(', ')}`);
  return [...new Set(scopes)] as Scope[];
}
