import { scopeRule } from '../../auth/scopes.ts';
import {
  assetOrder,
  assetSorts,
  countAssets,
  createAsset,
  defaultPerPage,
  findAssetPage,
  findAssetsAfterCursor,
  maxPerPage,
  resolvePage,
  sortOrders,
  visibleAssets,
  type AssetFilter,
} from '../../domain/assets.ts';
import { isUuid } from '../../domain/ids.ts';
import { builder } from '../builder.ts';
import { refuseFirstWithLast } from '../connections.ts';
import type { Context } from '../context.ts';
import { enumValuesOf, identityMap } from '../enums.ts';
import { AssetInterface } from './asset.ts';
import { AssetTypeEnum } from './asset-types.ts';

export const AssetSortEnum = builder.enumType('AssetSort', { values: enumValuesOf(assetSorts) });
export const SortOrderEnum = builder.enumType('SortOrder', { values: enumValuesOf(identityMap(sortOrders)) });

const AssetFilterInput = builder.inputType('AssetFilter', {
  fields: (t) => ({
    assetType: t.field({ type: AssetTypeEnum, required: false }),
    search: t.string({ required: false, description: 'Case-insensitive substring of the title or description; every character is literal.' }),
  }),
});

/** The caller's workspace; scope-auth has already refused calls without a principal. */
function workspaceOf(ctx: Context): string {
  return ctx.principal!.workspaceId;
}

interface AssetPageShape {
  workspaceId: string;
  filter: AssetFilter;
  where: ReturnType<typeof visibleAssets>;
  orderBy: ReturnType<typeof assetOrder>;
  page: number;
  perPage: number;
  skip: number;
}

const AssetPage = builder.objectRef<AssetPageShape>('AssetPage').implement({
  description: 'One page of an offset-paginated asset list.',
  fields: (t) => ({
    items: t.prismaField({
      type: [AssetInterface],
      resolve: (query, page, _args, ctx) =>
        findAssetPage(ctx.db, { where: page.where, orderBy: page.orderBy, skip: page.skip, take: page.perPage }, query),
    }),
    page: t.exposeInt('page'),
    perPage: t.exposeInt('perPage', { description: `Clamped to ${maxPerPage}.` }),
    // Counted only when asked for: a page that shows no total costs one statement.
    total: t.int({ resolve: (page, _args, ctx) => countOnce(page, ctx) }),
    totalPages: t.int({
      resolve: async (page, _args, ctx) => Math.ceil((await countOnce(page, ctx)) / page.perPage),
    }),
  }),
});

const totals = new WeakMap<AssetPageShape, Promise<number>>();
function countOnce(page: AssetPageShape, ctx: Context): Promise<number> {
  let total = totals.get(page);
  if (!total) {
    total = countAssets(ctx.db, page.workspaceId, page.filter);
    totals.set(page, total);
  }
  return total;
}

builder.queryFields((t) => ({
  assets: t.field({
    type: AssetPage,
    description: 'Offset-paginated assets of your workspace (the page the REST list serves).',
    authScopes: scopeRule('Query', 'assets'),
    args: {
      page: t.arg.int({ defaultValue: 1 }),
      perPage: t.arg.int({ defaultValue: defaultPerPage, description: `At most ${maxPerPage}; larger values are clamped.` }),
      filter: t.arg({ type: AssetFilterInput, required: false }),
      sort: t.arg({ type: AssetSortEnum, defaultValue: 'createdAt' }),
      order: t.arg({ type: SortOrderEnum, defaultValue: 'desc' }),
    },
    resolve: (_root, args, ctx) => {
      const { page, perPage, skip } = resolvePage(args);
      const workspaceId = workspaceOf(ctx);
      const filter = (args.filter ?? {}) as AssetFilter;
      return {
        workspaceId,
        filter,
        where: visibleAssets(workspaceId, filter),
        orderBy: assetOrder(args.sort ?? undefined, args.order ?? undefined),
        page,
        perPage,
        skip,
      };
    },
  }),

  assetsConnection: t.prismaConnection({
    type: AssetInterface,
    cursor: 'id',
    maxSize: maxPerPage,
    defaultSize: 20,
    description: 'Assets of your workspace as a Relay cursor connection.',
    authScopes: scopeRule('Query', 'assetsConnection'),
    args: {
      filter: t.arg({ type: AssetFilterInput, required: false }),
      sort: t.arg({ type: AssetSortEnum, defaultValue: 'createdAt' }),
      order: t.arg({ type: SortOrderEnum, defaultValue: 'desc' }),
    },
    totalCount: (_connection, args, ctx) => countAssets(ctx.db, workspaceOf(ctx), (args.filter ?? {}) as AssetFilter),
    resolve: (query, _root, args, ctx) => {
      refuseFirstWithLast(args);
      return findAssetsAfterCursor(ctx.db, workspaceOf(ctx), (args.filter ?? {}) as AssetFilter, args.sort ?? undefined, args.order ?? undefined, query);
    },
  }),

  asset: t.prismaField({
    type: AssetInterface,
    nullable: true,
    description: 'One asset of your workspace, or null.',
    authScopes: scopeRule('Query', 'asset'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(String(args.id)) ? ctx.db.asset.findFirst({ ...query, where: { ...visibleAssets(workspaceOf(ctx)), id: String(args.id) } }) : null,
  }),
}));

const CreateAssetInput = builder.inputType('CreateAssetInput', {
  description: 'Errors name the input field at fault in `extensions.field`.',
  fields: (t) => ({
    title: t.string({ required: true, description: 'Trimmed; must not be blank; at most 500 characters.' }),
    description: t.string({ required: false }),
    assetType: t.field({ type: AssetTypeEnum, required: true }),
    externalUrl: t.field({ type: 'URL', required: false, description: 'Required for EXTERNAL_VIDEO and LINK.' }),
    isPublic: t.boolean({ required: false, description: 'Default false.' }),
    filePath: t.string({ required: false, description: 'A file already on the server, under /uploads/.' }),
  }),
});

builder.mutationFields((t) => ({
  createAsset: t.prismaField({
    type: AssetInterface,
    description: 'Creates an asset in your workspace.',
    authScopes: scopeRule('Mutation', 'createAsset'),
    args: { input: t.arg({ type: CreateAssetInput, required: true }) },
    resolve: (query, _root, args, ctx) => createAsset(ctx.db, workspaceOf(ctx), args.input, query),
  }),
}));


