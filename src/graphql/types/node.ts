import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { scopeRule, type Scope } from '../../auth/scopes.ts';
import { maxPerPage, visibleAssets } from '../../domain/assets.ts';
import { ValidationError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import { visibleLibraries } from '../../domain/libraries.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { assetTypeNameOf } from './asset-types.ts';

/**
 * Relay's Global Object Identification. An id is the object's UUID, the same the REST API
 * shows: UUIDs are unique across assets and libraries, so a client can key its cache by `id`
 * alone and `node(id)` needs no type inside the id (the query fields below).
 */
export const NodeInterface = builder.interfaceRef<{ id: string }>('Node').implement({
  description: 'An object with a globally unique id (its UUID).',
  fields: (t) => ({
    id: t.id({ resolve: (node) => node.id }),
  }),
  // Assets always carry their type (it is in every asset selection); libraries have none.
  resolveType: (node) => ('assetType' in node ? assetTypeNameOf(node as never) : 'Library'),
});

/** Most ids one `nodes` call may look up: a page of the largest size. */
export const maxNodeIds = maxPerPage;

/**
 * The objects with these ids in the caller's workspace, in the order asked, null where an id
 * names nothing the key may read: an unknown id, another workspace's object and an object
 * whose read scope the key lacks all look the same. One statement per kind of object.
 */
async function loadNodes(ids: readonly string[], ctx: Context, info: GraphQLResolveInfo) {
  if (ids.length > maxNodeIds) throw new ValidationError('ids', `At most ${maxNodeIds} ids per call`);
  const wanted = [...new Set(ids.filter(isUuid))];
  const workspaceId = ctx.principal!.workspaceId;
  const can = (scope: Scope) => ctx.principal!.scopes.has(scope);
  const [assets, libraries] = await Promise.all([
    wanted.length && can('read:assets')
      ? ctx.db.asset.findMany({ ...queryFromInfo({ context: ctx, info, typeName: 'Asset' }), where: { ...visibleAssets(workspaceId), id: { in: wanted } } })
      : [],
    wanted.length && can('read:libraries')
      ? ctx.db.library.findMany({
          ...queryFromInfo({ context: ctx, info, typeName: 'Library' }),
          where: { ...visibleLibraries(workspaceId), id: { in: wanted } },
        })
      : [],
  ]);
  const byId = new Map<string, { id: string }>([...assets, ...libraries].map((node) => [node.id, node]));
  return ids.map((id) => byId.get(id) ?? null);
}

builder.queryFields((t) => ({
  node: t.field({
    type: NodeInterface,
    nullable: true,
    description: 'The object with this id (an asset or a library of your workspace), or null.',
    authScopes: scopeRule('Query', 'node'),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx, info) => (await loadNodes([String(args.id)], ctx, info))[0],
  }),
  nodes: t.field({
    type: [NodeInterface],
    nullable: { list: false, items: true },
    description: `The objects with these ids, in order, null for each id that names nothing you may read. At most ${maxNodeIds} ids.`,
    authScopes: scopeRule('Query', 'nodes'),
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx, info) => loadNodes(args.ids.map(String), ctx, info),
  }),
}));
