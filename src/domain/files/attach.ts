import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import type { AssetType } from '../../generated/prisma/enums.ts';
import { ValidationError } from '../errors.ts';
import { extractInWorker, imageMetadata, type FileMetadata } from './extract.ts';
import type { Files } from './index.ts';
import { imageThumbnail } from './thumbnails.ts';

const documentTypes = new Set([
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.oasis.opendocument.text',
  'text/plain',
  'text/markdown',
]);
/** Image formats sharp decodes. */
const imageTypes = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/** The file types each asset type takes; types without an entry take no file. */
const acceptedTypes: Partial<Record<AssetType, (mime: string) => boolean>> = {
  pdf: (mime) => mime === 'application/pdf',
  document: (mime) => documentTypes.has(mime),
  image: (mime) => imageTypes.has(mime),
  audio: (mime) => mime.startsWith('audio/'),
  video: (mime) => mime.startsWith('video/'),
};

/** The metadata columns each asset type shows; anything else a parser found is not stored. */
const metadataColumns: Partial<Record<AssetType, (keyof FileMetadata)[]>> = {
  pdf: ['pageCount', 'wordCount'],
  document: ['pageCount', 'wordCount'],
  image: ['width', 'height'],
  audio: ['durationSeconds'],
  video: ['width', 'height', 'durationSeconds'],
};

export const thumbnailPathPrefix = '/uploads/thumbnails/';

export interface PreparedFile {
  uploadId: string;
  /** Asset columns from the stored bytes: never from the client. */
  columns: FileMetadata & { fileSize: bigint; mimeType: string; checksumSha256: string; thumbnailPath: string | null };
  /** Removes what preparing stored (the thumbnail), when the asset is not created after all. */
  discard(): Promise<void>;
}

/**
 * Checks that `filePath` is an upload of the caller's workspace that fits `assetType`, then reads
 * its metadata and makes its thumbnail. Another workspace's upload answers like an unknown one.
 */
export async function prepareFile(db: Db, files: Files, workspaceId: string, assetType: AssetType, filePath: string): Promise<PreparedFile> {
  const accepts = acceptedTypes[assetType];
  if (!accepts) throw new ValidationError('filePath', `${assetType} assets do not take a file`);
  const upload = await db.upload.findFirst({ where: { filePath, workspaceId } });
  if (!upload) throw new ValidationError('filePath', 'File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)');
  if (upload.assetId) throw new ValidationError('filePath', 'This upload is already attached to an asset');
  if (!accepts(upload.mimeType)) {
    throw new ValidationError('assetType', `The file is ${upload.mimeType}, which does not fit asset type ${assetType}`);
  }

  const { metadata, thumbnail } = await files.storage.withLocalFile(upload.storageKey, async (path) => {
    if (assetType === 'image') {
      const metadata = await imageMetadata(path, files.limits);
      return { metadata, thumbnail: await imageThumbnail(path, files.limits) };
    }
    const { thumbnail: page, ...metadata } = await extractInWorker(path, upload.mimeType, files.limits);
    // A PDF whose first page does not render still gets its metadata, without a thumbnail.
    return { metadata, thumbnail: page ? await imageThumbnail(page, files.limits).catch(() => null) : null };
  });

  const thumbnailKey = `thumbnails/${upload.id}.webp`;
  if (thumbnail) await files.storage.put(thumbnailKey, Readable.from([thumbnail]));
  const columns: PreparedFile['columns'] = {
    fileSize: upload.fileSize,
    mimeType: upload.mimeType,
    checksumSha256: upload.checksumSha256,
    thumbnailPath: thumbnail ? `${thumbnailPathPrefix}${upload.id}.webp` : null,
  };
  for (const column of metadataColumns[assetType] ?? []) {
    if (metadata[column] !== undefined) columns[column] = metadata[column];
  }
  return {
    uploadId: upload.id,
    columns,
    discard: async () => {
      if (thumbnail) await files.storage.delete(thumbnailKey);
    },
  };
}

/** Attaches the upload to the new asset, inside the asset's creating transaction; fails if another asset took it first. */
export async function claimUpload(tx: Pick<Db, 'upload'>, uploadId: string, assetId: string) {
  const { count } = await tx.upload.updateMany({ where: { id: uploadId, assetId: null }, data: { assetId, attachedAt: new Date() } });
  if (count !== 1) throw new ValidationError('filePath', 'This upload is already attached to an asset');
}
