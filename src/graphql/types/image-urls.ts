import { placeholderDataUrl, type Placeholder } from '../../domain/files/placeholders.ts';
import { defaultExpiresInSeconds, maxExpiresInSeconds, minExpiresInSeconds } from '../../domain/files/signing.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { rules } from '../rules.ts';

/**
 * What every signed URL field shares: its `expiresIn` argument and the signing (one signer per
 * process, src/domain/files/signing.ts). URLs are paths relative to the server that answered the
 * query (the gateway has no notion of its public address): prefix them with the origin you
 * called /graphql on.
 */
export const expiresInDescription =
  `Seconds the URL works without a key: default ${defaultExpiresInSeconds} (1 h), from ${minExpiresInSeconds} to ${maxExpiresInSeconds} (7 days). ` +
  'The expiry is rounded up (to the hour, or to expiresIn when shorter), so that URLs minted within that window are the same and caches reuse them.';

/** The options of every `expiresIn: Int` argument. */
export const expiresInOptions = {
  required: false,
  description: expiresInDescription,
  extensions: rules({ minimum: minExpiresInSeconds, maximum: maxExpiresInSeconds }),
} as const;

/** A signed path: `path?query&exp=…&sig=…`. */
export function signedPath(ctx: Context, path: string, query: string, expiresIn: number | null | undefined): string {
  const { signer } = ctx.files.signing;
  if (!signer) throw new Error('URL signing is not ready: the app was not built by buildApp');
  return signer.sign(path, query, expiresIn);
}

export const ImagePlaceholderRef = builder.objectRef<Placeholder>('ImagePlaceholder').implement({
  description: 'What to show while an image loads, read from the image (or a PDF’s first page) when its asset was created.',
  fields: (t) => ({
    thumbhash: t.exposeString('thumbhash', {
      description: 'A ThumbHash (https://evanw.github.io/thumbhash/), base64: ~25 bytes for a blurred preview with its aspect ratio.',
    }),
    dominantColor: t.exposeString('dominantColor', { description: 'The dominant colour, `#rrggbb`: a background for the image’s box.' }),
    dataUrl: t.string({
      description: 'The ThumbHash decoded as a small PNG `data:` URL, ready for `<img src>` or a CSS background.',
      resolve: (placeholder) => placeholderDataUrl(placeholder.thumbhash),
    }),
  }),
});
