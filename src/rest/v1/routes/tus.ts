import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { Server } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../../auth/keys.ts';
import type { ResumableStore } from '../../../domain/files/storage/index.ts';
import { uploadLocker } from '../../../domain/files/upload-locks.ts';
import { resumableName } from '../../../domain/files/storage/resumable.ts';
import type { OperationResult } from '../../../graphql/execute.ts';
import { describeInternalError } from '../../../graphql/errors.ts';
import { bodyTimeoutOf } from '../../../http/timeouts.ts';
import { restErrors, type RestStatus, sendError, storeUnavailable } from '../errors.ts';
import { one, registerRestRoutes, sendAnswer, type RestDeps, type RestRoute, type RunOperation } from '../route-table.ts';
import { restUpload } from './files.ts';

/**
 * Resumable uploads: the tus 1.0 protocol (core, creation, creation-with-upload,
 * creation-defer-length, termination, expiration) at /api/v1/uploads/tus, served by @tus/server
 * over the tus store of the file store (`FileStorage.resumable`: a folder beside the files, or the
 * bucket). Each route is an entry of the route table, for its key check, scope and OpenAPI
 * description; its handler hands the request to tus's own handler, which answers it with tus's
 * headers, and gives that answer back through Fastify (tus's refusals in the catalog's shape).
 * The PATCH that completes an upload runs the same operation as POST /uploads over the stored
 * bytes (measured, sniffed and recorded as any upload), then removes the tus upload: it answers 200
 * with the same `data`.
 */

export const tusPath = '/uploads/tus';
/** Metadata the gateway adds to each upload: its key's workspace, so that no other workspace can see or touch it. */
const workspaceKey = 'gateway-workspace';
const tusVersion = '1.0.0';

/** Statuses tus answers that the catalog does not name, with the `error` they get here. */
const tusOnlyErrors: Record<number, string> = {
  410: 'Gone',
  412: 'Precondition failed',
  460: 'Checksum mismatch',
  501: 'Not implemented',
};

/** The headers a tus client reads, exposed to browsers (src/app.ts's CORS setup). */
export const tusExposedHeaders = [
  'Location',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Upload-Defer-Length',
];

/** The operation the completing PATCH runs, as POST /uploads does; the other routes name it for its scope rule. */
const operation = 'mutation RestTusUpload($file: File!) { uploadFile(file: $file) { ...RestUpload } }';
const scopeOperation = 'mutation RestTusScope($file: File!) { uploadFile(file: $file) { filePath } }';
const finishAnswer = one(restUpload, 'uploadFile', 'The PATCH that completes the upload: the stored file, as POST /uploads answers it.', { status: 200 });

/** What tus's hooks need of the Fastify request they serve, keyed by the Request handed to tus. */
interface Call {
  req: FastifyRequest;
  principal: Principal;
  run: RunOperation;
  /** The operation's result, once the upload's last byte arrived. */
  finished?: OperationResult<Record<string, unknown>>;
}

const tusHeaders = {
  'Tus-Resumable': { type: 'string', const: tusVersion },
};
const offsetHeaders = {
  ...tusHeaders,
  'Upload-Offset': { type: 'integer', description: 'Bytes of the upload received so far.' },
  'Upload-Expires': { type: 'string', description: 'When the unfinished upload expires (UPLOAD_TTL_HOURS after its creation), an HTTP date.' },
};
const tusRefusal = (status: number, description: string) => ({
  description,
  content: {
    'application/json': {
      schema: { type: 'object', required: ['error', 'message'], properties: { error: { const: tusOnlyErrors[status] }, message: { type: 'string' } } },
    },
  },
});
const common = {
  404: 'No such upload in your workspace: never created, finished, terminated, or expired and removed.',
  503: 'The file store does not answer or refuses; bytes that arrived before may be stored: HEAD says the offset. `Retry-After` says when to retry.',
};
const tusRefusals = {
  410: tusRefusal(410, 'The upload expired (UPLOAD_TTL_HOURS after its creation).'),
  412: tusRefusal(412, 'No `Tus-Resumable: 1.0.0` header.'),
};

/** An upload's URL names it by a UUID (tus's namingFunction below); any other name is an unknown upload. */
const uploadIdParams = {
  type: 'object',
  required: ['upload_id'],
  properties: { upload_id: { type: 'string', format: 'uuid', description: 'The upload, as the `Location` of its creation names it.' } },
};

/** The tus routes: every one needs a key with the scope of `uploadFile` (write:assets), checked before any byte is read. */
export function tusRoutes(deps: RestDeps): RestRoute[] {
  const handler = tusHandler(deps);
  const route = (
    method: 'POST' | 'HEAD' | 'PATCH' | 'DELETE',
    fields: Omit<RestRoute, 'method' | 'url' | 'tag' | 'operation' | 'custom'>,
    custom: Omit<NonNullable<RestRoute['custom']>, 'handler'>,
  ): RestRoute => ({
    method,
    url: method === 'POST' ? tusPath : `${tusPath}/:upload_id`,
    tag: 'uploads',
    operation: fields.answer ? operation : scopeOperation,
    ...fields,
    custom: { ...custom, handler, ...(method === 'POST' ? {} : { params: uploadIdParams }) },
  });
  return [
    route(
      'POST',
      {
        operationId: 'createResumableUpload',
        summary: 'Create a resumable upload (tus)',
        description:
          'tus 1.0 creation: `Upload-Length` (or `Upload-Defer-Length: 1`, then bounded by UPLOAD_LIMIT_BYTES), `Upload-Metadata` ' +
          "(`filename` becomes the download's name), `Tus-Resumable: 1.0.0`. With `Content-Type: application/offset+octet-stream`, " +
          'the body holds the first bytes (creation-with-upload). Send the rest with PATCH to the `Location`.',
        errors: {
          400: 'An invalid tus header (`Upload-Length`, `Upload-Metadata` …), or neither length header; an empty file created whole.',
          413: 'Upload-Length is over UPLOAD_LIMIT_BYTES (default 100 MiB).',
          503: storeUnavailable,
        },
      },
      {
        consumes: 'application/offset+octet-stream',
        body: { type: 'string', contentMediaType: 'application/offset+octet-stream', description: 'The first bytes of the file (optional).' },
        responses: {
          201: {
            description: "Created: `Location` is the upload's URL (relative), `Upload-Expires` when it expires unfinished.",
            headers: { ...offsetHeaders, Location: { type: 'string', description: '/api/v1/uploads/tus/{upload_id}' } },
          },
          200: finishResponse(),
          412: tusRefusals[412],
        },
      },
    ),
    route(
      'HEAD',
      {
        operationId: 'resumableUploadOffset',
        summary: 'The offset of a resumable upload (tus)',
        description: 'Where to resume: `Upload-Offset`, with `Upload-Length` (or `Upload-Defer-Length`) and `Upload-Metadata`.',
        // A read: the scope's operation is a write, but a HEAD stores nothing.
        errors: { ...common, 507: undefined },
      },
      {
        responses: {
          200: {
            description: "The upload's state.",
            headers: {
              ...tusHeaders,
              'Upload-Offset': offsetHeaders['Upload-Offset'],
              'Upload-Length': { type: 'integer' },
              'Upload-Metadata': { type: 'string', description: 'As sent at creation, with `gateway-workspace` added.' },
              'Cache-Control': { type: 'string', const: 'no-store' },
            },
          },
          ...tusRefusals,
        },
      },
    ),
    route(
      'PATCH',
      {
        operationId: 'resumeUpload',
        summary: 'Send bytes of a resumable upload (tus)',
        description:
          "Appends the body at `Upload-Offset`, which must be the upload's offset (HEAD says it). The PATCH that completes the " +
          'file stores it as POST /uploads does (type sniffed, size and SHA-256 measured) and answers 200 with the same `data`; ' +
          "its `file_path` creates an asset. The upload's URL then answers 404.",
        answer: finishAnswer,
        errors: {
          400: 'An invalid tus header, an empty file, or a file cut short (`field`: `file`).',
          409: "Upload-Offset is not the upload's offset: ask HEAD, and resume from there.",
          413: "More bytes than the upload's length, or than UPLOAD_LIMIT_BYTES.",
          415: 'The body is not `application/offset+octet-stream`.',
          ...common,
        },
      },
      {
        consumes: 'application/offset+octet-stream',
        body: { type: 'string', contentMediaType: 'application/offset+octet-stream' },
        responses: { 204: { description: 'Stored; `Upload-Offset` is the new offset.', headers: offsetHeaders }, ...tusRefusals },
      },
    ),
    route(
      'DELETE',
      {
        operationId: 'terminateResumableUpload',
        summary: 'Terminate a resumable upload (tus)',
        description: 'Removes the unfinished upload and its bytes; its URL answers 404 afterwards.',
        errors: common,
      },
      { responses: { 204: { description: 'Removed.', headers: tusHeaders }, ...tusRefusals } },
    ),
  ];
}

function finishResponse() {
  return {
    description: 'An upload created with all its bytes (creation-with-upload): the stored file, as POST /uploads answers it.',
    content: { 'application/json': { schema: { $ref: 'UploadEnvelope#' } } },
  };
}

/**
 * Registers the tus routes in a scope of their own: their bodies (`application/offset+octet-stream`)
 * are left unread for tus, and every answer says the protocol's version, refusals included.
 */
export async function resumableUploads(app: FastifyInstance, deps: RestDeps) {
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('tus-resumable', tusVersion);
  });
  registerRestRoutes(app, tusRoutes(deps), deps);
}

function tusHandler({ db, files }: RestDeps) {
  const calls = new WeakMap<Request, Call>();
  let tus: Promise<{ server: Server; store: ResumableStore }> | undefined;
  // @tus/server and the store's tus module are loaded by the first resumable upload.
  const load = () =>
    (tus ??= Promise.all([import('@tus/server'), files.storage.resumable(files.uploadTtlHours * 3600_000)]).then(
      ([{ Server, ERRORS, MemoryLocker }, store]) => {
        const server = new Server({
          path: `/api/v1${tusPath}`,
          datastore: store.datastore,
          locker: uploadLocker(db, new MemoryLocker(), () => ERRORS.ERR_LOCK_TIMEOUT),
          maxSize: files.uploadLimitBytes,
          namingFunction: () => store.idOf(crypto.randomUUID()),
          generateUrl: (_req, { path, id }) => `${path}/${store.nameOf(id)}`,
          getFileIdFromRequest: (_req, name) => (name && resumableName.test(name) ? store.idOf(name) : undefined),
          async onUploadCreate(request, upload) {
            return { metadata: { ...upload.metadata, [workspaceKey]: calls.get(request)!.principal.workspaceId } };
          },
          // Another workspace's upload answers like an unknown one.
          async onIncomingRequest(request, id) {
            if (request.method === 'POST') return;
            const upload = await store.datastore.getUpload(id);
            if (upload.metadata?.[workspaceKey] !== calls.get(request)!.principal.workspaceId) throw ERRORS.FILE_NOT_FOUND;
          },
          async onUploadFinish(request, upload) {
            const call = calls.get(request)!;
            const name = store.nameOf(upload.id);
            call.finished = await call.run(call.req, {
              file: { name: upload.metadata?.filename, stream: () => files.storage.open(store.keyOf(name)) },
            });
            // The handler answers the refusal in the catalog's shape; this only stops tus.
            if (call.finished.errors?.length) throw { status_code: 500, body: '' };
            await store.remove(name).catch((error: unknown) => call.req.log.error(describeInternalError(error), 'finished tus upload not removed'));
            return { status_code: 200 };
          },
        });
        return { server, store };
      },
    ));

  return (run: RunOperation) =>
    async function handleTus(req: FastifyRequest, reply: FastifyReply) {
      // The route table refused a request without a key or without uploadFile's scope before this runs.
      const principal = req.principal!;
      const { server } = await load();
      const request = toWebRequest(req);
      const call: Call = { req, principal, run };
      calls.set(request, call);
      const response = await server.handleWeb(request);
      const timedOut = bodyTimeoutOf(req);
      if (timedOut) return sendError(reply, 408, timedOut.message);
      // CORS is the app's (@fastify/cors), for every route alike; bodies are the catalog's JSON, or none.
      for (const [name, value] of response.headers) if (!/^(access-control-|content-length$|content-type$)/i.test(name)) reply.header(name, value);
      if (call.finished) return sendAnswer(reply, finishAnswer, call.finished);
      if (response.status >= 400) return sendTusRefusal(req, reply, response.status, await response.text(), files);
      return reply.status(response.status).send();
    };
}

/** The Fetch API request tus reads: the same method, URL and headers, and the body still unread. */
function toWebRequest(req: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const hasBody = req.method === 'POST' || req.method === 'PATCH';
  return new Request(new URL(req.url, 'http://gateway'), {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req.raw) as ReadableStream<Uint8Array> as globalThis.ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit);
}

/** tus's refusal, in the catalog's shape; tus's 500 is the store failing when it does (503, 507). */
async function sendTusRefusal(req: FastifyRequest, reply: FastifyReply, status: number, text: string, files: RestDeps['files']) {
  const message = text.trim();
  if (status === 500) {
    const state = await files.storage.status().catch(() => 'unreachable');
    // Bytes that arrived before the failure may be stored: HEAD says from where to resume.
    if (state === 'unreachable') return sendError(reply, 503, 'The file store is unavailable; retry later from the offset HEAD answers');
    if (state === 'full') return sendError(reply, 507, 'The file store is full; retry once space is freed, from the offset HEAD answers');
    req.log.error({ status, message }, 'tus upload failed');
    return sendError(reply, 500, 'An unexpected error occurred');
  }
  if (status === 412) return reply.status(412).send({ error: tusOnlyErrors[412], message: `Tus-Resumable: ${tusVersion} is required` });
  if (status in tusOnlyErrors) return reply.status(status).send({ error: tusOnlyErrors[status], message });
  if (status === 413) {
    // tus says "Maximum size exceeded" for the limit, "upload's size exceeded" for more bytes than Upload-Length.
    const overLimit = /maximum/i.test(message);
    return sendError(reply, 413, overLimit ? `The file is larger than ${files.uploadLimitBytes} bytes` : "More bytes than the upload's Upload-Length");
  }
  if (status === 409) return sendError(reply, 409, "Upload-Offset is not the upload's offset: ask for it with HEAD and resume from there");
  if (status === 404) return sendError(reply, 404, 'Upload not found');
  if (status in restErrors) return sendError(reply, status as RestStatus, message || restErrors[status as RestStatus]);
  req.log.error({ status, message }, 'tus answered an unexpected status');
  return sendError(reply, 500, 'An unexpected error occurred');
}
