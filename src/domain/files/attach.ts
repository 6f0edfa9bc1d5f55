import { thumbnailKey } from './downloads.ts';
import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import type { AssetType } from '../../generated/prisma/enums.ts';
import { ValidationError } from '../errors.ts';
import { extractInWorker, type FileMetadata } from './extract.ts';
import { type FileAssetType, fileAssetTypes, fitsAssetType, metadataColumns } from './formats.ts';
import type { Files } from './index.ts';
import type { FileText } from './text.ts';

export const thumbnailPathPrefix = '/uploads/thumbnails/';

export interface PreparedFile {
  uploadId: string;
  /** Asset columns from the stored bytes: never from the client. */
  columns: FileMetadata & {
    fileSize: bigint;
    mimeType: string;
    checksumSha256: string;
    thumbnailPath: string | null;
    thumbhash?: string;
    dominantColor?: string;
  };
  /** A PDF's or document's text, kept for content search in the asset's creating transaction. */
  text: FileText | null;
  /** Removes what preparing stored (the thumbnail), when the asset is not created after all. */
  discard(): Promise<void>;
}

/**
 * Checks that `filePath` is an upload of the caller's workspace that fits `assetType`, then reads
 * its metadata and makes its thumbnail. Another workspace's upload answers like an unknown one.
 */
export async function prepareFile(db: Db, files: Files, workspaceId: string, assetType: AssetType, filePath: string): Promise<PreparedFile> {
  if (!fileAssetTypes.has(assetType)) throw new ValidationError('filePath', `${assetType} assets do not take a file`);
  const upload = await db.upload.findFirst({ where: { filePath, workspaceId } });
  if (!upload) throw new ValidationError('filePath', 'File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)');
  if (upload.assetId) throw new ValidationError('filePath', 'This upload is already attached to an asset');
  if (!fitsAssetType(upload.mimeType, assetType)) {
    throw new ValidationError('assetType', `The file is ${upload.mimeType}, which does not fit asset type ${assetType}`);
  }

  const {
    thumbnail,
    text,
    placeholder,
    pageImage: _none,
    ...metadata
  } = await files.storage.withLocalFile(upload.storageKey, (path) => extractInWorker(path, upload.mimeType, files.limits));

  const thumbnailAt = thumbnailKey(upload.id);
  if (thumbnail) await files.storage.put(thumbnailAt, Readable.from([thumbnail]));
  const columns: PreparedFile['columns'] = {
    fileSize: upload.fileSize,
    mimeType: upload.mimeType,
    checksumSha256: upload.checksumSha256,
    thumbnailPath: thumbnail ? `${thumbnailPathPrefix}${upload.id}.webp` : null,
    ...placeholder,
  };
  // What the asset type shows: anything else a parser found is not stored.
  for (const column of metadataColumns[assetType as FileAssetType]) {
    if (metadata[column] !== undefined) columns[column] = metadata[column];
  }
  return {
    uploadId: upload.id,
    columns,
    text: text ?? null,
    discard: async () => {
      if (thumbnail) await files.storage.delete(thumbnailAt);
    },
  };
}

/** Attaches the upload to the new asset, inside the asset's creating transaction; fails if another asset took it first. */
export async function claimUpload(tx: Pick<Db, 'upload'>, uploadId: string, assetId: string) {
  const { count } = await tx.upload.updateMany({ where: { id: uploadId, assetId: null }, data: { assetId, attachedAt: new Date() } });
  if (count !== 1) throw new ValidationError('filePath', 'This upload is already attached to an asset');
}
