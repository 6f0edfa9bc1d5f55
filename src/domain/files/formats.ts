import type { AssetType } from '../../generated/prisma/enums.ts';

/**
 * The file formats the gateway reads, written once: which parser reads a sniffed type
 * (./extract-worker.ts) and which asset type a file of that parser's formats makes (./attach.ts).
 */
export type Parser = 'pdf' | 'image' | 'docx' | 'odt' | 'text' | 'audio' | 'video';

const parserByType: Record<string, Parser> = {
  'application/pdf': 'pdf',
  // The image formats sharp decodes.
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/webp': 'image',
  'image/gif': 'image',
  'image/avif': 'image',
  'image/tiff': 'image',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'text/plain': 'text',
  'text/markdown': 'text',
};

/** The parser of a sniffed type (any audio/ or video/ type goes to the media parsers), or null: a type nothing reads. */
export function parserOf(mime: string): Parser | null {
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return parserByType[mime] ?? null;
}

/** The asset type each parser's files make; asset types without a parser take no file. */
const assetTypeOfParser = {
  pdf: 'pdf',
  image: 'image',
  docx: 'document',
  odt: 'document',
  text: 'document',
  audio: 'audio',
  video: 'video',
} as const satisfies Record<Parser, AssetType>;

export type FileAssetType = (typeof assetTypeOfParser)[Parser];
export const fileAssetTypes: ReadonlySet<AssetType> = new Set(Object.values(assetTypeOfParser));

/** The metadata read from a file. */
export type MetadataColumn = 'pageCount' | 'wordCount' | 'width' | 'height' | 'durationSeconds';

/** The metadata each file asset type shows (the GraphQL types' own fields, REST's columns); the rest of what a parser finds is not stored. */
export const metadataColumns: Record<FileAssetType, readonly MetadataColumn[]> = {
  pdf: ['pageCount', 'wordCount'],
  document: ['pageCount', 'wordCount'],
  image: ['width', 'height'],
  video: ['width', 'height', 'durationSeconds'],
  audio: ['durationSeconds'],
};

/** Whether a file of this sniffed type fits an asset of this type. */
export function fitsAssetType(mime: string, assetType: AssetType): boolean {
  const parser = parserOf(mime);
  return parser !== null && assetTypeOfParser[parser] === assetType;
}
