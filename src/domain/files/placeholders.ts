import type { SharpInput } from 'sharp';
import { rgbaToThumbHash, thumbHashToDataURL } from 'thumbhash';
import type { ExtractLimits } from './extract.ts';
import { loadSharp } from './images.ts';

/**
 * What a frontend shows while an image loads: a ThumbHash (https://evanw.github.io/thumbhash/,
 * ~25 bytes that decode to a blurred picture with its aspect ratio and alpha) and the dominant
 * colour. Read at extraction, in the parsing worker, from the image (or a PDF's first page as
 * drawn for its thumbnail), shrunk to at most 100 × 100 as ThumbHash requires.
 */
export interface Placeholder {
  /** Base64. */
  thumbhash: string;
  /** `#rrggbb`. */
  dominantColor: string;
}

const side = 100;

export async function readPlaceholder(input: SharpInput, limits: ExtractLimits): Promise<Placeholder> {
  const sharp = await loadSharp();
  const timeout = { seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) };
  const { data, info } = await sharp(input, { limitInputPixels: limits.maxImagePixels, autoOrient: true })
    .resize({ width: side, height: side, fit: 'inside' })
    .ensureAlpha()
    .raw()
    .timeout(timeout)
    .toBuffer({ resolveWithObject: true });
  const { dominant } = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).stats();
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    thumbhash: Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64'),
    dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
  };
}

/** The placeholder as a PNG data: URL (~1 KB, decoded from the ThumbHash), for `<img src>` or a CSS background. */
export function placeholderDataUrl(thumbhash: string): string {
  return thumbHashToDataURL(Buffer.from(thumbhash, 'base64'));
}
