import { assetTypes } from '../../domain/assets.ts';
import type { AssetType } from '../../generated/prisma/enums.ts';
import { builder } from '../builder.ts';
import { enumValuesOf, identityMap } from '../enums.ts';

/** The GraphQL type for each asset_type: one object type per kind, with its own metadata. */
export const assetTypeNames = {
  pdf: 'PdfAsset',
  document: 'DocumentAsset',
  image: 'ImageAsset',
  video: 'VideoAsset',
  external_video: 'ExternalVideoAsset',
  audio: 'AudioAsset',
  link: 'LinkAsset',
  collection: 'CollectionAsset',
  git: 'GitAsset',
} as const satisfies Record<AssetType, string>;

export const assetTypeNameOf = (asset: { assetType: AssetType }) => assetTypeNames[asset.assetType];

export const AssetTypeEnum = builder.enumType('AssetType', {
  description: 'The kind of an asset; decides which metadata it carries.',
  values: enumValuesOf(identityMap(assetTypes)),
});
