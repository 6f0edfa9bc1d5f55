import { downloadPath } from '../../domain/files/downloads.ts';
import { scopeRule } from '../../auth/scopes.ts';
import { builder } from '../builder.ts';
import { assetTypeNameOf, AssetTypeEnum } from './asset-types.ts';
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
      description: 'Where to GET the file, relative to this server (public assets need no key); null without a file.',
      select: { filePath: true },
      resolve: (asset) => (asset.filePath ? downloadPath(asset.id, 'file') : null),
    }),
    thumbnailUrl: t.string({
      nullable: true,
      description: 'Where to GET the thumbnail (WebP, 320 px wide), with the same access rule as the file; null without one.',
      select: { thumbnailPath: true },
      resolve: (asset) => (asset.thumbnailPath ? downloadPath(asset.id, 'thumbnail') : null),
    }),
  }),
});

const fileAsset = [NodeInterface, AssetInterface, FileAssetInterface];
const select = coreSelect;

builder.prismaObject('Asset', {
  variant: 'PdfAsset',
  interfaces: fileAsset,
  select,
  fields: (t) => ({
    pageCount: t.exposeInt('pageCount', { nullable: true }),
    wordCount: t.exposeInt('wordCount', { nullable: true }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'DocumentAsset',
  interfaces: fileAsset,
  select,
  fields: (t) => ({
    pageCount: t.exposeInt('pageCount', { nullable: true }),
    wordCount: t.exposeInt('wordCount', { nullable: true }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'ImageAsset',
  interfaces: fileAsset,
  select,
  fields: (t) => ({
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'VideoAsset',
  interfaces: fileAsset,
  select,
  fields: (t) => ({
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    durationSeconds: t.exposeFloat('durationSeconds', { nullable: true }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'AudioAsset',
  interfaces: fileAsset,
  select,
  fields: (t) => ({
    durationSeconds: t.exposeFloat('durationSeconds', { nullable: true }),
  }),
});

builder.prismaObject('Asset', {
  variant: 'ExternalVideoAsset',
  interfaces: [NodeInterface, AssetInterface],
  select,
  fields: (t) => ({
    // Never null for this type: the create rules require it.
    externalUrl: t.field({ type: 'URL', select: { externalUrl: true }, resolve: (asset) => asset.externalUrl! }),
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
    // Never null for this type: the create rules require it.
    externalUrl: t.field({ type: 'URL', select: { externalUrl: true }, resolve: (asset) => asset.externalUrl! }),
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
    externalUrl: t.expose('externalUrl', { type: 'URL', nullable: true, description: 'The repository.' }),
  }),
});
