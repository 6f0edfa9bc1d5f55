import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import escapeHtml from 'escape-html';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * GraphiQL, served as static files held once in memory: a small page, and the bundle of
 * @graphql-yoga/render-graphiql (no CDN: it works offline) split into its script, style sheet,
 * Monaco's three workers and the icon, each under a name with its content hash, cached by browsers
 * for good. render-graphiql inlines all of them into a ~9 MB page built per request: two
 * parallel views ran a 128 MB heap out of memory. Here a view costs no heap: the files are read
 * once, in a worker thread (the bundle's strings never enter this heap), into Buffers sent as they
 * are, gzipped once beforehand.
 */

const options = {
  title: 'assets-gateway',
  defaultQuery: '{ assets(perPage: 5) { total items { id title assetType } } }',
  // Opens with the Headers pane showing where the API key goes.
  headers: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
  defaultEditorToolsVisibility: 'headers',
};

interface StaticFile {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  cacheControl: string;
}

/** What the worker sends back for each export of the bundle module. */
interface BundlePart {
  type?: string;
  body: Uint8Array;
  gzip: Uint8Array;
  hash: string;
}

const immutable = 'public, max-age=31536000, immutable';

/** A browser opening /graphql: GraphiQL's page needs no key, the user types it into the page. */
export function wantsGraphiQL(req: FastifyRequest): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

// Plain JavaScript (an eval'd worker runs as CommonJS), so it runs alike from src/ and dist/.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { gzipSync } = require('node:zlib');
import(workerData.bundle).then((bundle) => {
  const parts = {};
  const transfer = new Set();
  for (const [name, text] of Object.entries(bundle)) {
    if (typeof text !== 'string') continue;
    const dataUrl = /^data:([^;,]+);base64,/.exec(text);
    // Copies of their own: a small Buffer lives in Node's shared pool, which Node 21+ refuses to transfer.
    const body = new Uint8Array(dataUrl ? Buffer.from(text.slice(dataUrl[0].length), 'base64') : new TextEncoder().encode(text));
    const gzip = new Uint8Array(gzipSync(body, { level: 9 }));
    parts[name] = { type: dataUrl?.[1], body, gzip, hash: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
    transfer.add(body.buffer).add(gzip.buffer);
  }
  parentPort.postMessage(parts, [...transfer]);
});
`;

function readBundle(): Promise<Record<string, BundlePart>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { bundle: import.meta.resolve('@graphql-yoga/render-graphiql/graphiql') } });
    worker.once('message', (parts) => {
      resolve(parts);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`GraphiQL's bundle worker exited with ${code}`)));
  });
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** JSON that can stand inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function pageOf(url: (part: string) => string): string {
  const workers = { editorWorkerService: url('editorWorkerService'), json: url('jsonWorker'), graphql: url('graphqlWorker') };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="icon" href="${url('favicon')}" />
    <link rel="stylesheet" href="${url('css')}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script src="${url('js')}"></script>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
      const options = ${scriptJson(options)};
      // Introspection needs a key, so the first one (before the key is typed) fails. While there is
      // no schema, each change of the headers (once they are JSON and have settled) fetches it
      // again, through GraphiQL's own re-fetch shortcut (Ctrl-Shift-R).
      let hasSchema = false;
      let tried = options.headers;
      let settling;
      const refetchSchema = (headers) => {
        clearTimeout(settling);
        settling = setTimeout(() => {
          try {
            JSON.parse(headers);
          } catch {
            return;
          }
          if (hasSchema || headers === tried) return;
          tried = headers;
          window.dispatchEvent(new KeyboardEvent('keydown', { key: 'R', ctrlKey: true, shiftKey: true }));
        }, 500);
      };
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), {
        ...options,
        onSchemaChange: () => (hasSchema = true),
        onEditHeaders: refetchSchema,
      });
    </script>
  </body>
</html>
`;
}

/** Names the page links each part of the bundle as, and what it is served as. */
const files: Record<string, { name: string; type: string }> = {
  js: { name: 'graphiql.js', type: 'text/javascript; charset=utf-8' },
  css: { name: 'graphiql.css', type: 'text/css; charset=utf-8' },
  editorWorkerService: { name: 'editor.worker.js', type: 'text/javascript; charset=utf-8' },
  jsonWorker: { name: 'json.worker.js', type: 'text/javascript; charset=utf-8' },
  graphqlWorker: { name: 'graphql.worker.js', type: 'text/javascript; charset=utf-8' },
  favicon: { name: 'favicon.ico', type: 'image/x-icon' },
};

async function load(endpoint: string) {
  const parts = await readBundle();
  const byUrl = new Map<string, StaticFile>();
  const urls: Record<string, string> = {};
  for (const [part, { name, type }] of Object.entries(files)) {
    const read = parts[part];
    if (!read) throw new Error(`GraphiQL's bundle has no ${part}`);
    // The hash goes in the name, so a new bundle is a new URL and each can be cached for good.
    urls[part] = `${endpoint}/graphiql/${name.replace(/(\.\w+)$/, `.${read.hash}$1`)}`;
    byUrl.set(urls[part], { type: read.type ?? type, body: asBuffer(read.body), gzip: asBuffer(read.gzip), etag: `"${read.hash}"`, cacheControl: immutable });
  }
  const body = Buffer.from(pageOf((part) => urls[part]));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 12)}"`;
  // The page is revalidated on each view (a new server may link new files), answered 304 while unchanged.
  const page: StaticFile = { type: 'text/html; charset=utf-8', body, etag, cacheControl: 'no-cache' };
  return { page, byUrl };
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  reply.header('cache-control', file.cacheControl).header('etag', etag).header('content-type', file.type);
  if (file.gzip) reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === etag) return reply.status(304).send();
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? file.gzip : file.body);
}

/**
 * Registers GraphiQL's files under `<endpoint>/graphiql/` and returns the handler of its page,
 * for the endpoint's route to call when a browser opens it (wantsGraphiQL). The bundle is read
 * on the first view or file asked for, once.
 */
export function addGraphiQL(app: FastifyInstance, endpoint: string) {
  let loaded: ReturnType<typeof load> | undefined;
  const graphiql = () =>
    (loaded ??= load(endpoint).catch((error) => {
      // A failed read is tried again by the next view, not remembered.
      loaded = undefined;
      throw error;
    }));
  app.get(`${endpoint}/graphiql/:file`, async (req, reply) => {
    const file = (await graphiql()).byUrl.get(req.url.split('?')[0]);
    if (!file) return reply.callNotFound();
    return send(req, reply, file);
  });
  return async (req: FastifyRequest, reply: FastifyReply) => send(req, reply, (await graphiql()).page);
}
