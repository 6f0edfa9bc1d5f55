import { downloadPath } from '../../domain/files/downloads.ts';
import { scopeRule } from '../../auth/scopes.ts';
import { builder } from '../builder.ts';
import { type FileAssetType, type MetadataColumn, metadataColumns } from '../../domain/files/formats.ts';
import { assetTypeNameOf, AssetTypeEnum, assetTypeNames } from './asset-types.ts';
import { expiresInOptions, ImagePlaceholderRef, signedPath } from './image-urls.ts';
import './library.ts';
import { NodeInterface } from './node.ts';

/**
 * Narrow columns nearly every query shows, always selected. Fields that read them resolve
 * straight from the row: an exposed column in select mode costs plugin-prisma a mapping lookup
 * per row and field (~10 % of a 20-row list's CPU in the profile), which a few always-read
 * bytes do not. Everything wider or rarer (description, file and metadata columns, library)
 * is still selected only when asked for.
 */
const coreSelect = {
  id: true,
  assetType: true,
  title: true,
  slug: true,
  createdAt: true,
  updatedAt: true,
  isPublic: true,
  downloadCount: true,
} as const;

export const AssetInterface = builder.prismaInterface('Asset', {
  description: 'A digital asset. Each asset type is an object type with its own metadata fields.',
  interfaces: [NodeInterface],
  select: coreSelect,
  resolveType: assetTypeNameOf,
  fields: (t) => ({
    id: t.id({ description: 'A UUID, unique across every kind of object; the id the REST API shows.', resolve: (asset) => asset.id }),
    title: t.string({ resolve: (asset) => asset.title }),
    slug: t.string({ description: 'Unique in the workspace; derived from the title.', resolve: (asset) => asset.slug }),
    description: t.exposeString('description', { nullable: true }),
    assetType: t.field({ type: AssetTypeEnum, resolve: (asset) => asset.assetType }),
    downloadCount: t.int({ resolve: (asset) => asset.downloadCount }),
    isPublic: t.boolean({ description: 'Downloadable without a key.', resolve: (asset) => asset.isPublic }),
    createdAt: t.field({ type: 'DateTime', resolve: (asset) => asset.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (asset) => asset.updatedAt }),
    libraryId: t.exposeID('libraryId', { nullable: true, description: 'The library the asset is in, or null.' }),
    library: t.relation('library', { nullable: true, authScopes: scopeRule('Asset', 'library') }),
  }),
});

export const FileAssetInterface = builder.prismaInterface('Asset', {
  variant: 'FileAsset',
  description: 'An asset backed by an uploaded file.',
  select: coreSelect,
  resolveType: assetTypeNameOf,
  fields: (t) => ({
    filePath: t.exposeString('filePath', { nullable: true }),
    fileSize: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'Bytes; a SafeInt because files pass 2^31.',
      select: { fileSize: true },
      resolve: (asset) => (asset.fileSize === null ? null : Number(asset.fileSize)),
    }),
    mimeType: t.exposeString('mimeType', { nullable: true }),
    checksumSha256: t.exposeString('checksumSha256', { nullable: true }),
    thumbnailPath: t.exposeString('thumbnailPath', { nullable: true }),
    downloadUrl: t.string({
      nullable: true,
      description:
        'Where to GET the file: a signed path relative to this server, which works without a key until it expires (`expiresIn`); null without a file.',
      args: { expiresIn: t.arg.int(expiresInOptions) },
      select: { filePath: true },
      resolve: (asset, args, ctx) => (asset.filePath ? signedPath(ctx, downloadPath(asset.id, 'file'), '', args.expiresIn) : null),
    }),
    thumbnailUrl: t.string({
      nullable: true,
      description: 'Where to GET the thumbnail (WebP, 320 px wide): a signed path like downloadUrl; null without one.',
      args: { expiresIn: t.arg.int(expiresInOptions) },
      select: { thumbnailPath: true },
      resolve: (asset, args, ctx) => (asset.thumbnailPath ? signedPath(ctx, downloadPath(asset.id, 'thumbnail'), '', args.expiresIn) : null),
    }),
    placeholder: t.field({
      type: ImagePlaceholderRef,
      nullable: true,
      description: "What to show while an image or a PDF's first page loads; null for other files (and until `npm run images:backfill` for older assets).",
      select: { thumbhash: true, dominantColor: true },
      resolve: (asset) => (asset.thumbhash && asset.dominantColor ? { thumbhash: asset.thumbhash, dominantColor: asset.dominantColor } : null),
    }),
  }),
});

const fileAsset = [NodeInterface, AssetInterface, FileAssetInterface];

/**
 * `externalUrl`, one type on every asset type that has it, so that a query may select it on all of
 * them at once: nullable, because a git asset may have none.
 */
const externalUrl = (description: string) => ({ type: 'URL', nullable: true, description }) as const;
const select = coreSelect;

/** The GraphQL type of each metadata column. */
const metadataFieldTypes = { pageCount: 'Int', wordCount: 'Int', width: 'Int', height: 'Int', durationSeconds: 'Float' } as const satisfies Record<
  MetadataColumn,
  'Int' | 'Float'
>;

// One object type per file asset type, with the metadata the domain says it shows (src/domain/files/formats.ts).
export const fileAssetRefs = {} as Record<FileAssetType, ReturnType<typeof fileAssetObject>>;
for (const [assetType, columns] of Object.entries(metadataColumns) as [FileAssetType, readonly MetadataColumn[]][]) {
  fileAssetRefs[assetType] = fileAssetObject(assetType, columns);
}

function fileAssetObject(assetType: FileAssetType, columns: readonly MetadataColumn[]) {
  return builder.prismaObject('Asset', {
    variant: assetTypeNames[assetType],
    interfaces: fileAsset,
    select,
    fields: (t) => Object.fromEntries(columns.map((column) => [column, t.expose(column, { type: metadataFieldTypes[column], nullable: true })])),
  });
}

builder.prismaObject('Asset', {
  variant: 'ExternalVideoAsset',
  interfaces: [NodeInterface, AssetInterface],
  select,
  fields: (t) => ({
    externalUrl: t.expose('externalUrl', externalUrl("The video's page. Never null: the create rules require it.")),
    videoEmbed: t.expose('videoEmbed', {
      type: 'URL',
      nullable: true,
      description: 'Player URL, derived for YouTube and Vimeo.',
    }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'LinkAsset',
  interfaces: [NodeInterface, AssetInterface],
  select,
  fields: (t) => ({
    externalUrl: t.expose('externalUrl', externalUrl('The linked page. Never null: the create rules require it.')),
  }),
});

export const CollectionAssetRef = builder.prismaObject('Asset', {
  variant: 'CollectionAsset',
  interfaces: [NodeInterface, AssetInterface],
  select,
  // Its items: ./collection.ts.
  fields: () => ({}),
});

builder.prismaObject('Asset', {
  variant: 'GitAsset',
  interfaces: [NodeInterface, AssetInterface],
  select,
  fields: (t) => ({
    externalUrl: t.expose('externalUrl', externalUrl('The repository, if one was given.')),
  }),
});
