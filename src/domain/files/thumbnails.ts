import sharp from 'sharp';
import type { ExtractLimits } from './extract.ts';
import { thumbnailWidth, unreadableFile } from './extract.ts';

// One libvips thread and no operation cache: thumbnails are occasional, memory is shared.
sharp.concurrency(1);
sharp.cache(false);

/**
 * A WebP `thumbnailWidth` pixels wide (never enlarged), turned upright by its EXIF orientation.
 * Decoding the whole image also proves it is readable: a truncated or lying image fails here.
 */
export async function imageThumbnail(input: string | Uint8Array, limits: ExtractLimits): Promise<Buffer> {
  try {
    return await sharp(input, { limitInputPixels: limits.maxImagePixels, failOn: 'truncated' })
      .rotate()
      .resize({ width: thumbnailWidth, withoutEnlargement: true })
      .webp({ quality: 80 })
      .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) })
      .toBuffer();
  } catch {
    throw unreadableFile();
  }
}
