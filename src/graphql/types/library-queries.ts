import { scopeRule } from '../../auth/scopes.ts';
import { resolvePage, visibleAssets, type AssetFilter } from '../../domain/assets.ts';
import { isUuid } from '../../domain/ids.ts';
import {
  createLibrary,
  deleteLibrary,
  libraryOrder,
  maxLibraryDescriptionLength,
  maxLibraryNameLength,
  updateLibrary,
  visibleLibraries,
} from '../../domain/libraries.ts';
import { builder } from '../builder.ts';
import { rules } from '../rules.ts';
import type { Context } from '../context.ts';
import { AssetPage, assetListArgs, idempotencyKeyArg, assetListRequest, offsetPageFields, pageArgs, workspaceOf, type OffsetPage } from './asset-queries.ts';
import { LibraryRef } from './library.ts';

/**
 * A library's assets and their count, batched over a page of libraries: each shape of request
 * (same selection, filter, page) is one statement for all the libraries on the page (../loaders.ts).
 */
function libraryAssetCount(ctx: Context, libraryId: string, filter: AssetFilter = {}): Promise<number> {
  const workspaceId = workspaceOf(ctx);
  return ctx.loaders.load(
    { of: 'libraryAssetCount', workspaceId, filter },
    async (libraryIds) => {
      const groups = await ctx.db.asset.groupBy({
        by: ['libraryId'],
        where: { ...visibleAssets(workspaceId, filter), libraryId: { in: [...libraryIds] } },
        _count: { _all: true },
      });
      return new Map(groups.map((group) => [group.libraryId!, group._count._all]));
    },
    libraryId,
    0,
  );
}

builder.objectFields(LibraryRef, (t) => ({
  assets: t.field({
    type: AssetPage,
    description: "The library's assets, filtered, sorted and paged like `Query.assets`.",
    authScopes: scopeRule('Library', 'assets'),
    args: assetListArgs(t.arg),
    resolve: (library, args, ctx) => {
      const { filter, orderBy, ...page } = assetListRequest(args);
      const workspaceId = workspaceOf(ctx);
      return {
        ...page,
        items: (query) =>
          ctx.loaders.load(
            { of: 'libraryAssets', workspaceId, query, filter, orderBy, skip: page.skip, take: page.perPage },
            async (libraryIds) => {
              // One statement: each library's page is a LATERAL subquery (Prisma's relationJoins).
              const libraries = await ctx.db.library.findMany({
                where: { id: { in: [...libraryIds] } },
                select: { id: true, assets: { ...query, where: visibleAssets(workspaceId, filter), orderBy, skip: page.skip, take: page.perPage } },
              });
              return new Map(libraries.map((l) => [l.id, l.assets as Record<string, unknown>[]]));
            },
            library.id,
            [],
          ),
        total: () => libraryAssetCount(ctx, library.id, filter),
      };
    },
  }),
  assetCount: t.int({
    description: 'How many assets (not deleted) the library holds.',
    resolve: (library, _args, ctx) => libraryAssetCount(ctx, library.id),
  }),
}));

interface LibraryPageShape extends OffsetPage {
  workspaceId: string;
}

const LibraryPage = builder.objectRef<LibraryPageShape>('LibraryPage').implement({
  description: 'One page of the libraries of your workspace, by name.',
  fields: (t) => ({
    items: t.prismaField({
      type: [LibraryRef],
      resolve: (query, page, _args, ctx) =>
        ctx.db.library.findMany({ ...query, where: visibleLibraries(page.workspaceId), orderBy: libraryOrder, skip: page.skip, take: page.perPage }),
    }),
    ...offsetPageFields(t),
  }),
});

builder.queryFields((t) => ({
  libraries: t.field({
    type: LibraryPage,
    description: 'Offset-paginated libraries of your workspace, by name (the page the REST list serves).',
    authScopes: scopeRule('Query', 'libraries'),
    args: pageArgs(t.arg),
    resolve: (_root, args, ctx) => {
      const workspaceId = workspaceOf(ctx);
      return { ...resolvePage(args), workspaceId, total: () => ctx.db.library.count({ where: visibleLibraries(workspaceId) }) };
    },
  }),
  library: t.prismaField({
    type: LibraryRef,
    nullable: true,
    description: 'One library of your workspace, or null.',
    authScopes: scopeRule('Query', 'library'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id) ? ctx.db.library.findFirst({ ...query, where: { ...visibleLibraries(workspaceOf(ctx)), id: args.id } }) : null,
  }),
}));

const nameDescription = `Trimmed; must not be blank; at most ${maxLibraryNameLength} characters.`;
const nameRules = rules({ minLength: 1, maxLength: maxLibraryNameLength });

const CreateLibraryInput = builder.inputType('CreateLibraryInput', {
  description: 'Errors name the input field at fault in `extensions.field`.',
  fields: (t) => ({
    name: t.string({ required: true, description: nameDescription, extensions: nameRules }),
    description: t.string({ required: false, extensions: rules({ maxLength: maxLibraryDescriptionLength }, 'multiline') }),
  }),
});

const UpdateLibraryInput = builder.inputType('UpdateLibraryInput', {
  description: 'A partial update: absent fields keep their value, null clears it. The slug stays as it was.',
  fields: (t) => ({
    name: t.string({ required: false, description: nameDescription, extensions: nameRules }),
    description: t.string({ required: false, extensions: rules({ maxLength: maxLibraryDescriptionLength }, 'multiline') }),
  }),
});

builder.mutationFields((t) => ({
  createLibrary: t.prismaField({
    type: LibraryRef,
    description: 'Creates a library in your workspace; its slug comes from the name.',
    authScopes: scopeRule('Mutation', 'createLibrary'),
    args: {
      input: t.arg({ type: CreateLibraryInput, required: true }),
      idempotencyKey: idempotencyKeyArg(t.arg, 'library'),
    },
    resolve: (query, _root, args, ctx) => createLibrary(ctx.db, workspaceOf(ctx), args.input, query, args.idempotencyKey),
  }),
  updateLibrary: t.prismaField({
    type: LibraryRef,
    description: 'Changes a library of your workspace. NOT_FOUND for an id that names none.',
    authScopes: scopeRule('Mutation', 'updateLibrary'),
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateLibraryInput, required: true }) },
    resolve: (query, _root, args, ctx) => updateLibrary(ctx.db, workspaceOf(ctx), args.id, args.input, query),
  }),
  deleteLibrary: t.prismaField({
    type: LibraryRef,
    description: 'Deletes a library for good and answers it as it was (assetCount 0: its assets stay, in no library).',
    authScopes: scopeRule('Mutation', 'deleteLibrary'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => deleteLibrary(ctx.db, workspaceOf(ctx), args.id, query),
  }),
}));
