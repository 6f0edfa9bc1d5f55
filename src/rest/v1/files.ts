import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rangeParser from 'range-parser';
import type { Db } from '../../db/client.ts';
import { TimeoutError } from '../../domain/errors.ts';
import { countDownload, findDownload, type DownloadKind } from '../../domain/files/downloads.ts';
import type { Files } from '../../domain/files/index.ts';
import { graphql } from '../../generated/graphql/index.ts';
import { createContext } from '../../graphql/context.ts';
import { describeInternalError, unauthenticatedMessage } from '../../graphql/errors.ts';
import { executeOperation, fixedOperation } from '../../graphql/execute.ts';
import { sendError, sendGraphQLError } from './errors.ts';

/**
 * /api/v1/uploads (the upload runs the uploadFile mutation, so its scope rule is the schema's)
 * and the binary routes /api/v1/assets/{id}/download and /thumbnail, whose access rule is
 * src/domain/files/downloads.ts (public assets need no key, so no hook refuses them up front).
 */

const UploadOperation = fixedOperation(
  graphql(`
    mutation RestUploadFile($file: File!) {
      uploadFile(file: $file) { filePath fileSize mimeType checksumSha256 }
    }
  `),
);

export const notMultipartMessage = 'Content-Type must be multipart/form-data with a file part named file';

interface FileRouteDeps {
  db: Db;
  files: Files;
}

export async function uploadRoutes(app: FastifyInstance, { db, files }: FileRouteDeps) {
  const logInternal = (req: FastifyRequest) => (error: unknown) => req.log.error(describeInternalError(error), 'unexpected error');

  app.post('/uploads', async (req, reply) => {
    const principal = req.principal; // verified before the body is read (src/http/access.ts)
    if (!principal) return sendError(reply, 401, unauthenticatedMessage);
    if (!req.isMultipart()) return sendError(reply, 415, notMultipartMessage);
    // The size limit is the domain's (its 413 names the limit); busboy only bounds the form's other parts.
    // A body that stops before its file part fails here; its deadline answers 408 (src/http/timeouts.ts).
    const part = await req.file({ limits: { fileSize: Infinity, files: 1, fields: 10, fieldSize: 1024, parts: 20 } }).catch((error: unknown) => {
      if (error instanceof TimeoutError) throw error;
      return undefined;
    });
    if (!part || part.fieldname !== 'file') return sendError(reply, 400, 'A file part named file is required', 'file');
    const result = await executeOperation(
      UploadOperation,
      { file: { name: part.filename, stream: () => part.file } },
      createContext(db, files, principal),
      logInternal(req),
    );
    // A refused upload (no scope) never read the file: drop the rest of the body.
    if (!part.file.readableEnded) part.file.resume();
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    const upload = result.data.uploadFile;
    return reply.status(201).send({
      success: true,
      data: { file_path: upload.filePath, file_size: upload.fileSize, mime_type: upload.mimeType, checksum_sha256: upload.checksumSha256 },
    });
  });
}

const refusals = {
  unauthenticated: [401, unauthenticatedMessage],
  forbidden: [403, 'API key does not have read:assets scope'],
  notFound: [404, 'Asset not found'],
} as const;

export async function downloadRoutes(app: FastifyInstance, { db, files }: FileRouteDeps) {
  async function serve(req: FastifyRequest, reply: FastifyReply, kind: DownloadKind) {
    const { asset_id: assetId } = req.params as { asset_id: string };
    const authorization = req.headers.authorization;
    const principal = req.principal;
    // A key that is sent must be valid, even for a public asset.
    if (authorization && !principal) return sendError(reply, 401, unauthenticatedMessage);
    const answer = await findDownload(db, files, assetId, principal, kind);
    if (!answer.allowed) {
      const [status, message] = refusals[answer.reason];
      return sendError(reply, status, message);
    }
    const { download } = answer;

    reply
      .header('accept-ranges', 'bytes')
      .header('etag', download.etag)
      .header('cache-control', download.isPublic ? 'public, no-cache' : 'private, no-cache')
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
    if (!range && kind === 'file') await countDownload(db, assetId);
    return reply.send(files.storage.open(download.storageKey, range ?? undefined));
  }

  for (const kind of ['file', 'thumbnail'] as const) {
    app.route({
      method: ['GET', 'HEAD'],
      url: kind === 'file' ? '/assets/:asset_id/download' : '/assets/:asset_id/thumbnail',
      handler: (req, reply) => serve(req, reply, kind),
    });
  }
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * One satisfiable range → that range; none, a malformed header, a stale If-Range or several
 * ranges → null (the whole file, 200, as RFC 9110 allows); no byte of the file in range → 'unsatisfiable'.
 */
function requestedRange(req: FastifyRequest, size: number, etag: string) {
  const header = req.headers.range;
  if (!header) return null;
  const ifRange = req.headers['if-range'];
  if (ifRange && ifRange !== etag) return null;
  const ranges = rangeParser(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable' as const;
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return null;
  return { start: ranges[0].start, end: ranges[0].end };
}
