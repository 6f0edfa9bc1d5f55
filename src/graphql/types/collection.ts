import { scopeRule } from '../../auth/scopes.ts';
import { resolvePage } from '../../domain/assets.ts';
import { addCollectionItems, itemOrder, maxCollectionItems, removeCollectionItems, reorderCollectionItems, visibleItems } from '../../domain/collections.ts';
import { builder } from '../builder.ts';
import { rules } from '../rules.ts';
import { CollectionAssetRef } from './asset.ts';
import { AssetPage, pageArgs, workspaceOf } from './asset-queries.ts';

/**
 * A collection's items, in order, batched over a page of collections: each shape of request
 * (same selection, same page) is one statement for all the collections on the page (../loaders.ts).
 */
builder.objectField(CollectionAssetRef, 'items', (t) =>
  t.field({
    type: AssetPage,
    description: "The collection's members in its order (deleted members drop out until restored).",
    args: pageArgs(t.arg),
    resolve: (collection, args, ctx) => {
      const page = resolvePage(args);
      const workspaceId = workspaceOf(ctx);
      const where = visibleItems(workspaceId);
      return {
        ...page,
        items: (query) =>
          ctx.loaders.load(
            { of: 'collectionItems', workspaceId, query, skip: page.skip, take: page.perPage },
            async (collectionIds) => {
              // One statement: each collection's page is a LATERAL subquery (Prisma's relationJoins).
              const collections = await ctx.db.asset.findMany({
                where: { id: { in: [...collectionIds] } },
                select: { id: true, items: { where, orderBy: itemOrder, skip: page.skip, take: page.perPage, select: { asset: query } } },
              });
              return new Map(collections.map((c) => [c.id, c.items.map((item) => item.asset as Record<string, unknown>)]));
            },
            collection.id,
            [],
          ),
        total: () =>
          ctx.loaders.load(
            { of: 'collectionItemCount', workspaceId },
            async (collectionIds) => {
              const groups = await ctx.db.collectionItem.groupBy({
                by: ['collectionId'],
                where: { ...where, collectionId: { in: [...collectionIds] } },
                _count: { _all: true },
              });
              return new Map(groups.map((group) => [group.collectionId, group._count._all]));
            },
            collection.id,
            0,
          ),
      };
    },
  }),
);

const itemArgs = (t: Parameters<Parameters<typeof builder.mutationFields>[0]>[0]) => ({
  id: t.arg.id({ required: true, description: 'The collection.' }),
  assetIds: t.arg.idList({
    required: true,
    description: `Assets of your workspace, each once; at most ${maxCollectionItems}.`,
    extensions: rules({ minItems: 1, maxItems: maxCollectionItems, uniqueItems: true }),
  }),
});

builder.mutationFields((t) => ({
  addCollectionItems: t.prismaField({
    type: CollectionAssetRef,
    description: 'Appends assets to a collection, in the order given. No duplicates, no cycles, no other workspace.',
    authScopes: scopeRule('Mutation', 'addCollectionItems'),
    args: itemArgs(t),
    resolve: (query, _root, args, ctx) => addCollectionItems(ctx.db, workspaceOf(ctx), args.id, args.assetIds, query),
  }),
  removeCollectionItems: t.prismaField({
    type: CollectionAssetRef,
    description: 'Takes assets out of a collection; the others keep their order.',
    authScopes: scopeRule('Mutation', 'removeCollectionItems'),
    args: itemArgs(t),
    resolve: (query, _root, args, ctx) => removeCollectionItems(ctx.db, workspaceOf(ctx), args.id, args.assetIds, query),
  }),
  reorderCollectionItems: t.prismaField({
    type: CollectionAssetRef,
    description: "Puts a collection's items in the order given, which must name each item exactly once.",
    authScopes: scopeRule('Mutation', 'reorderCollectionItems'),
    args: itemArgs(t),
    resolve: (query, _root, args, ctx) => reorderCollectionItems(ctx.db, workspaceOf(ctx), args.id, args.assetIds, query),
  }),
}));
