import {
  checkPage,
  checkRendition,
  defaultFit,
  defaultFormat,
  fits,
  imagePath,
  maxSide,
  outputFormats,
  type RenditionParams,
  renditionQuery,
  renditionRanges,
} from '../../domain/files/renditions.ts';
import { ValidationError } from '../../domain/errors.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { enumValuesOf, identityMap } from '../enums.ts';
import { rules } from '../rules.ts';
import { fileAssetRefs } from './asset.ts';
import { expiresInOptions, signedPath } from './image-urls.ts';

/**
 * Signed rendition URLs on ImageAsset and PdfAsset (GET /api/v1/assets/{id}/image,
 * src/domain/files/renditions.ts): a frontend never builds one by hand.
 */

const ImageFitEnum = builder.enumType('ImageFit', {
  description:
    'How a rendition fits a box of width × height (both given): COVER crops to fill it, CONTAIN letterboxes, INSIDE shrinks to within it, FILL stretches.',
  values: enumValuesOf(identityMap(fits)),
});

const ImageFormatEnum = builder.enumType('ImageFormat', {
  description: "A rendition's format; AUTO picks the best the browser's Accept header admits (AVIF, WebP, else JPEG or PNG), answered with Vary: Accept.",
  values: enumValuesOf(identityMap([...outputFormats, 'auto'] as const)),
});

const ImageTransformInput = builder.inputType('ImageTransformInput', {
  description: `A rendition: a size (either side alone keeps the aspect ratio; without either, the source's size up to ${maxSide} px), a fit, a format, a quality and, for a PDF, a page.`,
  fields: (t) => ({
    width: t.int({ required: false, extensions: rules(renditionRanges.width) }),
    height: t.int({ required: false, extensions: rules(renditionRanges.height) }),
    fit: t.field({ type: ImageFitEnum, required: false, description: `Default ${defaultFit.toUpperCase()}.` }),
    format: t.field({ type: ImageFormatEnum, required: false, description: `Default ${defaultFormat.toUpperCase()}.` }),
    quality: t.int({
      required: false,
      description: 'Encoder quality 1-100 (defaults: WebP 80, AVIF 55, JPEG 80).',
      extensions: rules(renditionRanges.quality),
    }),
    page: t.int({ required: false, description: "A PDF's page (default 1).", extensions: rules(renditionRanges.page) }),
  }),
});

interface Transform {
  width?: number | null;
  height?: number | null;
  fit?: (typeof fits)[number] | null;
  format?: RenditionParams['format'] | null;
  quality?: number | null;
  page?: number | null;
}

const maxSrcSetWidths = 20;

/** The domain's rendition parameters from the input; a refusal names `transform.<field>`. */
function paramsOf(transform: Transform | null | undefined, width?: number): RenditionParams {
  const params: RenditionParams = {
    width: width ?? transform?.width ?? undefined,
    height: width === undefined ? (transform?.height ?? undefined) : undefined,
    fit: transform?.fit ?? defaultFit,
    format: transform?.format ?? defaultFormat,
    quality: transform?.quality ?? undefined,
    page: transform?.page ?? 1,
    enlarge: false,
  };
  return checkRendition(params, (name) => (name === 'width' && width !== undefined ? 'widths' : `transform.${name}`));
}

function renditionUrl(ctx: Context, assetId: string, params: RenditionParams, expiresIn: number | null | undefined) {
  return signedPath(ctx, imagePath(assetId), renditionQuery(params), expiresIn);
}

/** The rendition's parameters, its page checked against the asset's (the route's rule): a URL that could only answer 400 is not minted. */
function checkedParams(asset: { assetType: string; pageCount: number | null }, transform: Transform | null | undefined): RenditionParams {
  const params = paramsOf(transform);
  checkPage(asset, params, () => 'transform.page');
  return params;
}

for (const ref of [fileAssetRefs.image, fileAssetRefs.pdf]) {
  builder.prismaObjectFields(ref, (t) => ({
    imageUrl: t.string({
      nullable: true,
      description:
        'A signed URL of a rendition (GET /api/v1/assets/{id}/image), relative to this server; it works without a key until it expires. Null without a file.',
      args: { transform: t.arg({ type: ImageTransformInput, required: false }), expiresIn: t.arg.int(expiresInOptions) },
      select: { filePath: true, pageCount: true },
      resolve: (asset, args, ctx) => (asset.filePath ? renditionUrl(ctx, asset.id, checkedParams(asset, args.transform), args.expiresIn) : null),
    }),
    srcSet: t.string({
      nullable: true,
      description:
        'A ready `srcset`: a signed rendition URL per width, `URL 320w, URL 640w` (the transform’s height is ignored: each width keeps the aspect ratio). Null without a file.',
      args: {
        widths: t.arg.intList({ required: true, extensions: rules({ minItems: 1, maxItems: maxSrcSetWidths, items: renditionRanges.width }) }),
        transform: t.arg({ type: ImageTransformInput, required: false }),
        expiresIn: t.arg.int(expiresInOptions),
      },
      select: { filePath: true, pageCount: true },
      resolve: (asset, args, ctx) => {
        if (!asset.filePath) return null;
        checkedParams(asset, args.transform);
        if (args.widths.length === 0 || args.widths.length > maxSrcSetWidths)
          throw new ValidationError('widths', `widths must hold 1 to ${maxSrcSetWidths} widths`);
        return args.widths.map((width) => `${renditionUrl(ctx, asset.id, paramsOf(args.transform, width), args.expiresIn)} ${width}w`).join(', ');
      },
    }),
  }));
}
