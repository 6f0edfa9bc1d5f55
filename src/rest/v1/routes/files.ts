import { pipeline, type Readable, Transform } from 'node:stream';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import contentDisposition from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { combineRanges, parse as parseRange } from 'range-parser';
import { InsufficientStorageError, storageFullCode, TimeoutError, ValidationError } from '../../../domain/errors.ts';
import { countDownload, downloadPath, findStoredFile, type DownloadKind } from '../../../domain/files/downloads.ts';
import { signatureFormat, type UrlSigner } from '../../../domain/files/signing.ts';
import {
  checkSource,
  defaultFit,
  defaultFormat,
  findRenditionSource,
  fits,
  imagePath,
  maxSide,
  renditionRanges,
  negotiateFormat,
  type OutputFormat,
  outputFormats,
  parseRenditionQuery,
  RenditionsBusyError,
  RenditionTimeoutError,
  renditionOf,
  renditionQuery,
  type Served,
  serveRendition,
} from '../../../domain/files/renditions.ts';
import { describeInternalError, unauthenticatedMessage } from '../../../graphql/errors.ts';
import { errorResponse, sendError, sendGraphQLError, storeUnavailable } from '../errors.ts';
import { representation } from '../representations.ts';
import { one, sendAnswer, type RestDeps, type RestRoute, type RunOperation } from '../route-table.ts';

/**
 * /uploads (the upload runs the uploadFile mutation, so its scope rule is the schema's) and the
 * binary routes /assets/{id}/download and /thumbnail, whose access rule is
 * src/domain/files/downloads.ts (public assets need no key, so no hook refuses them up front).
 */

export const restUpload = representation('Upload', ['filePath', 'fileSize', 'mimeType', 'checksumSha256']);

export const notMultipartMessage = 'Content-Type must be multipart/form-data with a file part named file';

const uploadAnswer = one(restUpload, 'uploadFile', 'The stored file.', { status: 201 });

/** Binary answers: the file's bytes and the headers that describe them. */
const binaryHeaders = {
  'Content-Length': { type: 'integer', description: 'Bytes in this response.' },
  ETag: { type: 'string', description: "The file's SHA-256 in quotes (strong validator; If-None-Match and If-Range use it)." },
  'Accept-Ranges': { type: 'string', const: 'bytes' },
  'Content-Disposition': { type: 'string', description: "The uploaded file's name, RFC 6266 with an RFC 5987 `filename*` for non-ASCII names." },
};
const binaryContent = { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };

function binaryResponses(what: DownloadKind, head: boolean) {
  const content = head ? {} : { content: binaryContent };
  return {
    200: { description: `The ${what === 'file' ? 'file' : 'thumbnail (WebP, 320 px wide)'}, with its Content-Type.`, headers: binaryHeaders, ...content },
    206: {
      description:
        'One byte range (Range: bytes=first-last, first-, -suffix; a suffix longer than the file is the whole file). Several ranges, or a range whose last byte is before its first, are answered with the whole file (200).',
      headers: { ...binaryHeaders, 'Content-Range': { type: 'string', description: 'bytes first-last/size' } },
      ...content,
    },
    304: { description: 'If-None-Match matched the ETag.' },
    416: head
      ? { description: 'No byte of the file is in the range (its first byte is past the end, or `bytes=-0`); Content-Range says `bytes */size`.' }
      : errorResponse(416, 'No byte of the file is in the range (its first byte is past the end, or `bytes=-0`); Content-Range says `bytes */size`.'),
  };
}

/** GET and HEAD of an asset's file or thumbnail: one handler, HEAD documented on its own (the document names it `<operationId>-head`). */
function downloadRoutes(deps: RestDeps, kind: DownloadKind): RestRoute[] {
  return (['GET', 'HEAD'] as const).map((method) => downloadRoute(deps, kind, method));
}

function downloadRoute(deps: RestDeps, kind: DownloadKind, method: 'GET' | 'HEAD'): RestRoute {
  const file = kind === 'file';
  const head = method === 'HEAD';
  return {
    method,
    url: file ? '/assets/:asset_id/download' : '/assets/:asset_id/thumbnail',
    operationId: file ? 'downloadAsset' : 'assetThumbnail',
    tag: 'assets',
    summary: `${head ? 'Headers of' : 'Download'} an asset's ${kind}`,
    description: file ? 'A GET answered 200 adds one to `download_count` (atomically); HEAD, 304 and 206 do not.' : undefined,
    operation: 'query RestAssetAccess($id: ID!) { asset(id: $id) { id } }',
    params: { asset_id: 'id' },
    errors: {
      401: 'The asset is not public, the URL is not signed, and no key was sent; or the key sent is not valid.',
      403: "A tampered, expired or foreign signature; or a key of the asset's workspace without read:assets, for an asset that is not public.",
      404: `No such asset${file ? ' or no file' : ' or no thumbnail'}, or a private asset of another workspace.`,
      503: storeUnavailable,
    },
    custom: {
      public: true,
      querystring: { type: 'object', properties: signatureQuery },
      responses: binaryResponses(kind, head),
      handler: serveFile(deps, kind),
    },
  };
}

export function fileRoutes(deps: RestDeps): RestRoute[] {
  return [
    {
      method: 'POST',
      url: '/uploads',
      operationId: 'uploadFile',
      tag: 'uploads',
      summary: 'Upload a file',
      description:
        'Streams the file to storage; its type is sniffed from its bytes (the file name and declared type are not trusted), its ' +
        'size and SHA-256 measured. Pass the `file_path` to `POST /assets` within UPLOAD_TTL_HOURS (default 24); uploads never ' +
        'attached are deleted after that.',
      operation: 'mutation RestUploadFile($file: File!) { uploadFile(file: $file) { ...RestUpload } }',
      answer: uploadAnswer,
      errors: {
        400: 'No part named `file`, an empty file, or an upload cut short (`field`: `file`).',
        408: 'The file did not arrive within UPLOAD_BODY_TIMEOUT_MS (default 30 min).',
        413: 'The file is larger than UPLOAD_LIMIT_BYTES (default 100 MiB).',
        415: 'The body is not multipart/form-data.',
        503: storeUnavailable,
      },
      custom: {
        body: { type: 'object', required: ['file'], properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } } },
        consumes: 'multipart/form-data',
        handler: (run) => async (req, reply) => {
          if (!req.isMultipart()) return sendError(reply, 415, notMultipartMessage);
          // The size limit is the domain's (its 413 names the limit); busboy only bounds the form's other parts.
          // A body that stops before its file part fails here; its deadline answers 408 (src/http/timeouts.ts).
          const form = req.parts({ limits: formLimits });
          const part = await firstFile(form).catch((error: unknown) => {
            if (error instanceof TimeoutError) throw error;
            return undefined;
          });
          if (part?.fieldname !== 'file') return sendError(reply, 400, 'A file part named file is required', 'file');
          const result = await run(req, { file: { name: part.filename, stream: () => endingWithForm(part.file, form) } });
          // A refused upload (no scope) never read the file: drop the rest of the body.
          if (!part.file.readableEnded) part.file.resume();
          return sendAnswer(reply, uploadAnswer, result);
        },
      },
    },
    ...downloadRoutes(deps, 'file'),
    ...downloadRoutes(deps, 'thumbnail'),
    imageRoute(deps),
  ];
}

/** A signed URL's parameters, which every binary route reads. */
const signatureQuery = {
  exp: { type: 'string', pattern: signatureFormat.exp, description: "A signed URL's expiry (Unix seconds); GraphQL mints signed URLs." },
  sig: {
    type: 'string',
    pattern: signatureFormat.sig,
    description: "A signed URL's signature: HMAC-SHA256 over the path, the normalised parameters and `exp`, in base64url.",
  },
};

const renditionQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    w: { type: 'integer', ...renditionRanges.width, description: 'Width in pixels; alone, the height keeps the aspect ratio.' },
    h: { type: 'integer', ...renditionRanges.height, description: 'Height in pixels; alone, the width keeps the aspect ratio.' },
    fit: { type: 'string', enum: [...fits], default: defaultFit, description: "How the picture fits a box of w × h (sharp's fits)." },
    format: {
      type: 'string',
      enum: [...outputFormats, 'auto'],
      default: defaultFormat,
      description: '`auto`: AVIF or WebP when Accept names it, else JPEG (PNG for a source that may be transparent); answered with `Vary: Accept`.',
    },
    q: { type: 'integer', ...renditionRanges.quality, description: 'Encoder quality (defaults: WebP 80, AVIF 55, JPEG 80; PNG is lossless).' },
    page: { type: 'integer', ...renditionRanges.page, default: 1, description: "A PDF's page." },
    enlarge: { type: 'string', enum: ['true', 'false'], default: 'false', description: 'Make an image larger than its source (never without it).' },
    ...signatureQuery,
  },
};

/** GET /assets/{id}/image: a rendition of an image or a PDF page (src/domain/files/renditions.ts). */
function imageRoute(deps: RestDeps): RestRoute {
  return {
    method: 'GET',
    url: '/assets/:asset_id/image',
    operationId: 'assetImage',
    tag: 'assets',
    summary: 'A rendition of an image or of a PDF page',
    description:
      "Resized and encoded on request, made once and kept in the file store (keyed by the source's checksum and the normalised parameters): " +
      '`X-Rendition-Cache` says `hit` when it was read from the store, `miss` when it was made. EXIF orientation is applied; an image is ' +
      "never made larger than its source unless `enlarge=true`; a PDF page is drawn at the size asked. Without `w` and `h`, the source's size " +
      `up to ${maxSide} px a side. A signed URL works without a key until it expires (public assets too: their renditions need a signature or a key); ` +
      "a key of the asset's workspace with `read:assets` works unsigned. Cached for a year (`immutable`) when signed or public.",
    operation: 'query RestAssetImageAccess($id: ID!) { asset(id: $id) { id } }',
    params: { asset_id: 'id' },
    errors: {
      400: 'A parameter out of range or unknown (`field` names it), or an asset that is not an image or a PDF (`field`: `asset_type`), or a page it does not have.',
      401: 'Not signed, and no key was sent, or the key sent is not valid.',
      403: "A tampered, expired or foreign signature; or a key of the asset's workspace without read:assets.",
      404: 'No such asset (or deleted), or a private asset of another workspace.',
      503: 'Every render slot is busy and RENDITION_QUEUE_LIMIT requests wait (`Retry-After`), the rendition took longer than RENDITION_TIMEOUT_MS, or the file store is unavailable.',
    },
    custom: {
      public: true,
      querystring: renditionQuerySchema,
      responses: {
        200: {
          description: 'The rendition, in the format asked (or negotiated).',
          headers: {
            'Content-Length': { type: 'integer' },
            ETag: { type: 'string', description: 'Strong validator of this rendition (If-None-Match → 304, nothing rendered).' },
            'X-Rendition-Cache': { type: 'string', enum: ['hit', 'miss'], description: 'hit: read from the store; miss: made for this request.' },
            Vary: { type: 'string', description: '`Accept`, when format=auto.' },
          },
          content: { 'image/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
        },
        304: { description: 'If-None-Match matched the ETag.' },
      },
      handler: serveImage(deps),
    },
  };
}

function serveImage(deps: RestDeps) {
  const { db, files } = deps;
  return (run: RunOperation) =>
    async function serve(req: FastifyRequest, reply: FastifyReply) {
      const { asset_id: assetId } = req.params as { asset_id: string };
      // A ValidationError (a parameter, the asset's type or page) is the REST error handler's 400, naming the field.
      const params = parseRenditionQuery(req.query as Record<string, unknown>);
      const signature = await checkSignature(req, reply, deps, { path: imagePath(assetId), query: renditionQuery(params) });
      if (signature === 'answered') return reply;
      const source = await findRenditionSource(db, assetId);
      if (!(await mayServe(req, reply, run, signature, source && { id: assetId, isPublic: source.isPublic }, false))) return reply;
      checkSource(source!, params);
      const auto = params.format === 'auto';
      const format = auto ? negotiateFormat(req.headers.accept, source!.mimeType!) : (params.format as OutputFormat);
      const rendition = renditionOf(source!.upload!.checksumSha256, params, format);
      reply
        .header('etag', rendition.etag)
        .header('cache-control', signature === 'valid' || source!.isPublic ? 'public, max-age=31536000, immutable' : 'private, no-cache')
        .header('x-content-type-options', 'nosniff');
      if (auto) reply.header('vary', 'Accept');
      if (ifNoneMatch(req.headers['if-none-match'], rendition.etag)) return reply.status(304).send();
      let served: Served;
      try {
        served = await serveRendition(files, source!, params, rendition);
      } catch (error) {
        if (error instanceof RenditionsBusyError) return sendError(reply.header('retry-after', '1'), 503, error.message);
        if (error instanceof RenditionTimeoutError) return sendError(reply.header('retry-after', '5'), 503, error.message);
        throw error;
      }
      reply.status(200).header('content-type', rendition.mimeType).header('x-rendition-cache', served.cache);
      if (served.cache === 'hit') {
        reply.header('content-length', served.size);
        return reply.send(req.method === 'HEAD' ? undefined : served.open());
      }
      reply.header('content-length', served.bytes.length);
      return reply.send(req.method === 'HEAD' ? undefined : served.bytes);
    };
}

type Form = AsyncIterableIterator<Multipart>;
const formLimits = { fileSize: Infinity, files: 1, fields: 10, fieldSize: 1024, parts: 20 };
/** @fastify/multipart's errors for a form past `formLimits`. */
const overLimits = new Set(['FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_PARTS_LIMIT']);

/** The form's first file part; fields before it are skipped. */
async function firstFile(form: Form): Promise<MultipartFile | undefined> {
  for (let next = await form.next(); !next.done; next = await form.next()) {
    if (next.value.type === 'file') return next.value;
  }
  return undefined;
}

/**
 * The file's bytes, ending only once the rest of the form has been read to its closing boundary:
 * busboy ends a part at the boundary after it, so a body cut (or ended) before the form's end
 * would otherwise be stored. Here it fails the stream, and the upload stores nothing.
 */
function endingWithForm(file: Readable, form: Form): Readable {
  const restOfForm = async () => {
    try {
      for await (const part of form) if (part.type === 'file') part.file.resume();
    } catch (error) {
      if (!overLimits.has((error as { code?: string }).code ?? '')) throw error;
      throw new ValidationError('file', `An upload's form holds one file, named file, and at most ${formLimits.fields} fields`);
    }
  };
  const whole = new Transform({
    transform: (chunk, _encoding, done) => done(null, chunk),
    flush: (done) => void restOfForm().then(() => done(), done),
  });
  return pipeline(file, whole, () => {});
}

/** What a request's signature (`exp` and `sig`) says, before anything is read from the database. */
type SignatureCheck = 'unsigned' | 'valid' | 'answered';

/**
 * A signed URL's `exp` and `sig`, checked first (one HMAC, no database read). A malformed one is
 * 400 naming it; a tampered, expired or foreign one 403. Such a failure without a key is counted
 * against the IP's budget of keyless calls (src/http/access.ts), so a forged `sig` buys no more
 * tries than no `sig`.
 */
async function checkSignature(req: FastifyRequest, reply: FastifyReply, { files }: RestDeps, signed: { path: string; query: string }): Promise<SignatureCheck> {
  const { exp, sig } = req.query as { exp?: unknown; sig?: unknown };
  if (exp === undefined && sig === undefined) return 'unsigned';
  let verdict: ReturnType<UrlSigner['verify']>;
  let failure: [400 | 403, string, string?];
  try {
    verdict = files.signing.signer!.verify(signed.path, signed.query, exp, sig);
    if (verdict === 'valid') return 'valid';
    failure = [403, verdict === 'expired' ? 'This signed URL has expired' : 'This signed URL is not valid: its signature does not match'];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    failure = [400, error.message, error.field];
  }
  if (!req.principal && !(await req.spendKeylessBudget(reply))) return 'answered';
  sendError(reply, ...failure);
  return 'answered';
}

/**
 * Who may have an asset's bytes (its file, thumbnail or a rendition), decided once for the three
 * routes, after checkSignature. A valid signed URL (minted by GraphQL) is enough until it expires,
 * for any asset, with or without a key. Without one: a public asset's file and thumbnail to anyone
 * (not its renditions: signing is what keeps anyone from making the server render at will);
 * otherwise the key that GraphQL's `asset` field shows the asset to (the route's operation: its
 * scope, workspace and deletion rules), else 401 without a key, 403 without the scope, 404 for
 * anything the key cannot see. False when it has answered.
 */
async function mayServe(
  req: FastifyRequest,
  reply: FastifyReply,
  run: RunOperation,
  signature: Exclude<SignatureCheck, 'answered'>,
  asset: { id: string; isPublic: boolean } | null,
  publicWithoutKey: boolean,
): Promise<boolean> {
  const refuse = (status: 401 | 404, message: string) => {
    sendError(reply, status, message);
    return false;
  };
  if (signature === 'valid') return asset ? true : refuse(404, 'Asset not found');
  // A key that is sent must be valid, even for a public asset.
  if (req.headers.authorization && !req.principal) return refuse(401, unauthenticatedMessage);
  if (asset?.isPublic && publicWithoutKey) return true;
  if (!req.principal) return refuse(401, unauthenticatedMessage);
  const result = await run(req, { id: asset?.id ?? (req.params as { asset_id: string }).asset_id });
  if (result.errors?.length) {
    sendGraphQLError(reply, result.errors);
    return false;
  }
  if (!result.data?.asset || !asset) return refuse(404, 'Asset not found');
  return true;
}

/**
 * Serves a file or thumbnail (see mayServe for who may have it). Only a caller who may see the
 * asset learns that it has no file or thumbnail.
 */
function serveFile(deps: RestDeps, kind: DownloadKind) {
  const { db, files } = deps;
  return (run: RunOperation) =>
    async function serve(req: FastifyRequest, reply: FastifyReply) {
      const { asset_id: assetId } = req.params as { asset_id: string };
      const signature = await checkSignature(req, reply, deps, { path: downloadPath(assetId, kind), query: '' });
      if (signature === 'answered') return reply;
      const stored = await findStoredFile(db, files, assetId, kind);
      if (!(await mayServe(req, reply, run, signature, stored && { id: assetId, isPublic: stored.isPublic }, true))) return reply;
      const { download } = stored!;
      if (!download) return sendError(reply, 404, `This asset has no ${kind}`);
      const isPublic = stored!.isPublic;

      reply
        .header('accept-ranges', 'bytes')
        .header('etag', download.etag)
        .header('cache-control', isPublic ? 'public, no-cache' : 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', contentDisposition(download.fileName, { type: kind === 'file' ? 'attachment' : 'inline' }));
      if (ifNoneMatch(req.headers['if-none-match'], download.etag)) return reply.status(304).send();

      const range = requestedRange(req, download.size, download.etag);
      if (range === 'unsatisfiable') {
        return reply
          .header('content-range', `bytes */${download.size}`)
          .status(416)
          .send({ error: 'Range not satisfiable', message: `The file has ${download.size} bytes` });
      }
      reply.header('content-type', download.mimeType);
      if (range) {
        reply
          .status(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${download.size}`)
          .header('content-length', range.end - range.start + 1);
      } else {
        reply.status(200).header('content-length', download.size);
      }
      if (req.method === 'HEAD') return reply.send();
      // Only a full GET of the file is a download: HEAD, 304, 206 and thumbnails are not counted.
      // A download is a read: on a full disk it is served all the same, uncounted, and logged.
      if (!range && kind === 'file') {
        await countDownload(db, assetId).catch((error: unknown) => {
          const full = storageFullCode(error);
          if (!full) throw error;
          req.log.error(describeInternalError(new InsufficientStorageError(full)), 'download served but not counted');
        });
      }
      return reply.send(files.storage.open(download.storageKey, range ?? undefined));
    };
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * RFC 9110 section 14: one satisfiable range → that range (a suffix longer than the file is the
 * whole file); no header, a stale If-Range, another unit, a header that is malformed or holds an
 * invalid range (last before first), or several ranges → null (the whole file, 200); no byte of
 * the file in range → 'unsatisfiable' (416).
 */
function requestedRange(req: FastifyRequest, size: number, etag: string) {
  const header = req.headers.range;
  if (!header) return null;
  const ifRange = req.headers['if-range'];
  if (ifRange && ifRange !== etag) return null;
  const parsed = parseRange(size, header);
  const invalid = 1; // range-parser's bit for a malformed or invalid range
  if (parsed.type !== 'bytes' || parsed.code & invalid) return null;
  if (parsed.ranges.length === 0) return 'unsatisfiable' as const;
  const ranges = combineRanges(parsed.ranges);
  if (ranges.length !== 1) return null;
  return { start: ranges[0].start, end: ranges[0].end };
}
