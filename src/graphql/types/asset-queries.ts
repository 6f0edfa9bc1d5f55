import type { ArgBuilder } from '@pothos/core';
import { queryFromInfo } from '@pothos/plugin-prisma';
import { scopeRule } from '../../auth/scopes.ts';
import {
  assetOrder,
  assetSorts,
  countAssets,
  createAsset,
  deleteAsset,
  restoreAsset,
  updateAsset,
  defaultPerPage,
  findAssetPage,
  findAssetsAfterCursor,
  maxDescriptionLength,
  maxExternalUrlLength,
  maxPerPage,
  maxSearchLength,
  maxTitleLength,
  resolvePage,
  sortOrders,
  visibleAssets,
  type AssetFilter,
  type AssetSort,
  type PageRequest,
  type SortOrder,
} from '../../domain/assets.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { isUuid } from '../../domain/ids.ts';
import { maxFilePathLength } from '../../domain/files/uploads.ts';
import { idempotencyKeyRule } from '../../domain/idempotency.ts';
import { builder, type BuilderTypes } from '../builder.ts';
import { assetCursor, connectionOf, cursorPage, parseAssetCursor, selectsOnlyTotalCount } from '../connections.ts';
import type { Context } from '../context.ts';
import { enumValuesOf, identityMap } from '../enums.ts';
import { rules } from '../rules.ts';
import { AssetInterface } from './asset.ts';
import { AssetTypeEnum } from './asset-types.ts';

const titleDescription = `Trimmed; must not be blank; at most ${maxTitleLength} characters.`;
const titleRules = rules({ minLength: 1, maxLength: maxTitleLength });
const externalUrlRules = rules({ maxLength: maxExternalUrlLength });
const filePathRules = rules({ maxLength: maxFilePathLength });

export const AssetSortEnum = builder.enumType('AssetSort', { values: enumValuesOf(assetSorts) });
export const SortOrderEnum = builder.enumType('SortOrder', { values: enumValuesOf(identityMap(sortOrders)) });

const AssetFilterInput = builder.inputType('AssetFilter', {
  fields: (t) => ({
    assetType: t.field({ type: AssetTypeEnum, required: false }),
    search: t.string({
      required: false,
      description: 'Case-insensitive substring of the title or description; every character is literal.',
      extensions: rules({ maxLength: maxSearchLength }),
    }),
  }),
});

/** The caller's workspace; scope-auth has already refused calls without a principal. */
export function workspaceOf(ctx: Context): string {
  return ctx.principal!.workspaceId;
}

type AssetRows = Promise<Record<string, unknown>[]>;

/**
 * A page of some list of assets (the workspace's, a library's, a collection's items): which
 * page, and how to read its rows and its total. Each list brings its own readers, so that nested
 * lists can batch them (../loaders.ts).
 */
export interface AssetPageShape extends OffsetPage {
  /** The page's assets, read with the selection plugin-prisma made for them. */
  items(query: { select?: Prisma.AssetSelect }, ctx: Context): AssetRows;
}

export const AssetPage = builder.objectRef<AssetPageShape>('AssetPage').implement({
  description: 'One page of an offset-paginated asset list.',
  fields: (t) => ({
    items: t.prismaField({
      type: [AssetInterface],
      resolve: (query, page, _args, ctx) => page.items(query, ctx) as never,
    }),
    ...offsetPageFields(t),
  }),
});

/** What every offset page shows besides its items: where it is, and the list's total. */
export interface OffsetPage {
  page: number;
  perPage: number;
  skip: number;
  total(ctx: Context): Promise<number>;
}

export function offsetPageFields<P extends OffsetPage>(t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, P>) {
  return {
    page: t.int({ resolve: (page) => page.page }),
    perPage: t.int({ description: `Clamped to ${maxPerPage}.`, resolve: (page) => page.perPage }),
    // Counted only when asked for: a page that shows no total costs one statement.
    total: t.int({ resolve: (page, _args, ctx) => totalOnce(page, ctx) }),
    totalPages: t.int({ resolve: async (page, _args, ctx) => Math.ceil((await totalOnce(page, ctx)) / page.perPage) }),
  };
}

const totals = new WeakMap<object, Promise<number>>();
/** A page's total, counted once for both `total` and `totalPages`. */
function totalOnce(page: OffsetPage, ctx: Context): Promise<number> {
  let total = totals.get(page);
  if (!total) {
    total = page.total(ctx);
    totals.set(page, total);
  }
  return total;
}

/** The arguments of every offset-paginated list. */
export const pageArgs = (t: ArgBuilder<BuilderTypes>) => ({
  page: t.int({ defaultValue: 1, description: 'Page number, from 1.', extensions: rules({ minimum: 1 }) }),
  perPage: t.int({
    defaultValue: defaultPerPage,
    description: `Results per page: at most ${maxPerPage}; larger values are clamped to ${maxPerPage}.`,
    extensions: rules({ minimum: 1 }),
  }),
});

export const assetListArgs = (t: ArgBuilder<BuilderTypes>) => ({
  ...pageArgs(t),
  filter: t({ type: AssetFilterInput, required: false }),
  sort: t({ type: AssetSortEnum, defaultValue: 'createdAt' }),
  order: t({ type: SortOrderEnum, defaultValue: 'desc' }),
});

export interface AssetListArgs extends PageRequest {
  filter?: { assetType?: AssetFilter['assetType']; search?: AssetFilter['search'] } | null;
  sort?: AssetSort | null;
  order?: SortOrder | null;
}

/** What a list's arguments ask for, checked: the page, the filter and the order. */
export function assetListRequest(args: AssetListArgs) {
  return {
    ...resolvePage(args),
    filter: (args.filter ?? {}) as AssetFilter,
    orderBy: assetOrder(args.sort ?? undefined, args.order ?? undefined),
  };
}

builder.queryFields((t) => ({
  assets: t.field({
    type: AssetPage,
    description: 'Offset-paginated assets of your workspace (the page the REST list serves).',
    authScopes: scopeRule('Query', 'assets'),
    args: assetListArgs(t.arg),
    resolve: (_root, args, ctx) => {
      const { filter, orderBy, ...page } = assetListRequest(args);
      const workspaceId = workspaceOf(ctx);
      return {
        ...page,
        items: (query) => findAssetPage(ctx.db, { where: visibleAssets(workspaceId, filter), orderBy, skip: page.skip, take: page.perPage }, query),
        total: () => countAssets(ctx.db, workspaceId, filter),
      };
    },
  }),

  assetsConnection: t.connection(
    {
      type: AssetInterface,
      description: 'Assets of your workspace as a Relay cursor connection.',
      authScopes: scopeRule('Query', 'assetsConnection'),
      args: {
        filter: t.arg({ type: AssetFilterInput, required: false }),
        sort: t.arg({ type: AssetSortEnum, defaultValue: 'createdAt' }),
        order: t.arg({ type: SortOrderEnum, defaultValue: 'desc' }),
      },
      resolve: async (_root, args, ctx, info) => {
        const { take, cursor, backward } = cursorPage(args, { defaultSize: defaultPerPage, maxSize: maxPerPage });
        const workspaceId = workspaceOf(ctx);
        const filter = (args.filter ?? {}) as AssetFilter;
        const sort = args.sort ?? 'createdAt';
        const position = cursor === null ? undefined : parseAssetCursor(cursor, backward ? 'before' : 'after');
        const totalCount = () => countAssets(ctx.db, workspaceId, filter);
        if (selectsOnlyTotalCount(info)) return { ...connectionOf(args, [], take, () => ''), totalCount };
        // The selection of `nodes` and `edges.node` both, and the sort value each cursor carries.
        const query = await queryFromInfo({
          context: ctx,
          info,
          typeName: AssetInterface.name,
          paths: [['nodes'], ['edges', 'node']],
          select: { id: true, [sort]: true },
          awaitSelections: true,
        });
        const rows = await findAssetsAfterCursor(ctx.db, workspaceId, filter, sort, args.order ?? undefined, position, { ...query, take });
        return { ...connectionOf(args, rows, take, (row) => assetCursor(row, sort)), totalCount };
      },
    },
    { fields: (t) => ({ totalCount: t.int({ resolve: (connection) => connection.totalCount() }) }) },
  ),

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
    title: t.string({ required: true, description: titleDescription, extensions: titleRules }),
    description: t.string({ required: false, extensions: rules({ maxLength: maxDescriptionLength }, 'multiline') }),
    assetType: t.field({ type: AssetTypeEnum, required: true }),
    externalUrl: t.field({ type: 'URL', required: false, description: 'Required for EXTERNAL_VIDEO and LINK.', extensions: externalUrlRules }),
    isPublic: t.boolean({ required: false, description: 'Default false.' }),
    filePath: t.string({
      required: false,
      description: 'The filePath of an upload of your workspace (uploadFile) that no asset has yet; its metadata is read from the file.',
      extensions: filePathRules,
    }),
    libraryId: t.id({ required: false, description: 'A library of your workspace for the asset to join.' }),
  }),
});

const UpdateAssetInput = builder.inputType('UpdateAssetInput', {
  description:
    'A partial update: absent fields keep their value, null clears it, and the result must pass the create rules. ' +
    'The slug stays as it was. Errors name the input field at fault in `extensions.field`.',
  fields: (t) => ({
    title: t.string({ required: false, description: titleDescription, extensions: titleRules }),
    description: t.string({ required: false, extensions: rules({ maxLength: maxDescriptionLength }, 'multiline') }),
    assetType: t.field({ type: AssetTypeEnum, required: false, description: 'Cannot change: only the current type is accepted.' }),
    externalUrl: t.field({
      type: 'URL',
      required: false,
      description: 'Required for EXTERNAL_VIDEO and LINK; a new URL re-derives the video embed.',
      extensions: externalUrlRules,
    }),
    isPublic: t.boolean({ required: false }),
    filePath: t.string({ required: false, description: 'Cannot change: create a new asset to change its file.', extensions: filePathRules }),
    libraryId: t.id({ required: false, description: 'A library of your workspace to join; null leaves the library.' }),
  }),
});

/** The `idempotencyKey` argument of a create (domain/idempotency.ts); REST's Idempotency-Key header. */
export function idempotencyKeyArg(t: ArgBuilder<BuilderTypes>, noun: string) {
  return t.string({
    required: false,
    description:
      `Makes a retry safe: the same key with the same input answers the ${noun} the first call created, never a second one; ` +
      `the key with another input is BAD_USER_INPUT, and CONFLICT while the first call is still running. 1 to ${idempotencyKeyRule.maxLength} visible ASCII ` +
      "characters, unique per workspace (e.g. a UUID). REST's Idempotency-Key header.",
    extensions: rules({ minLength: 1, ...idempotencyKeyRule }),
  });
}

builder.mutationFields((t) => ({
  createAsset: t.prismaField({
    type: AssetInterface,
    description: 'Creates an asset in your workspace.',
    authScopes: scopeRule('Mutation', 'createAsset'),
    args: {
      input: t.arg({ type: CreateAssetInput, required: true }),
      idempotencyKey: idempotencyKeyArg(t.arg, 'asset'),
    },
    resolve: (query, _root, args, ctx) => createAsset(ctx.db, workspaceOf(ctx), args.input, query, ctx.files, args.idempotencyKey),
  }),
  updateAsset: t.prismaField({
    type: AssetInterface,
    description: 'Changes fields of an asset of your workspace. NOT_FOUND for an id that names none.',
    authScopes: scopeRule('Mutation', 'updateAsset'),
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAssetInput, required: true }) },
    resolve: (query, _root, args, ctx) => updateAsset(ctx.db, workspaceOf(ctx), args.id, args.input, query),
  }),
  deleteAsset: t.prismaField({
    type: AssetInterface,
    description: 'Deletes an asset (softly: restoreAsset brings it back) and answers it as it was. NOT_FOUND when already deleted.',
    authScopes: scopeRule('Mutation', 'deleteAsset'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => deleteAsset(ctx.db, workspaceOf(ctx), args.id, query),
  }),
  restoreAsset: t.prismaField({
    type: AssetInterface,
    description: 'Brings a deleted asset back, with its slug. An asset that is not deleted is answered unchanged.',
    authScopes: scopeRule('Mutation', 'restoreAsset'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => restoreAsset(ctx.db, workspaceOf(ctx), args.id, query),
  }),
}));
