import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { finished, freePort, npmStartNodeFlags, startTs, waitForOutput } from '../helpers/process.ts';

/**
 * GraphiQL's page and files are static: built once, held once, cacheable. A browser's view costs
 * the server no heap, so anonymous clients opening it at once cannot run the server out of memory
 * (its page and files are ~9 MB: built per view, two views at once would end a 128 MB heap).
 */
const t = useTestApp();
const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
/** Every file of this server a page links: script, style sheet, icon, Monaco's workers. */
const linkedFiles = (html: string) => [...new Set(html.match(/\/graphql\/graphiql\/[\w.-]+/g))];

describe("GraphiQL's page and files", () => {
  it('opens without a key, with the options of this gateway, and is revalidated by its ETag', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/graphql', headers: browser });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('<title>assets-gateway</title>');
    // It opens on the Headers pane, showing where the key goes.
    expect(JSON.parse(/const options = (.*);$/m.exec(page.body)![1])).toEqual({
      title: 'assets-gateway',
      defaultQuery: '{ assets(perPage: 5) { total items { id title assetType } } }',
      headers: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
      defaultEditorToolsVisibility: 'headers',
    });
    expect(page.body.length).toBeLessThan(10_000);
    const again = await t.app.inject({ method: 'GET', url: '/graphql?query=%7B%7D', headers: { ...browser, 'if-none-match': String(page.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('links its files by content hash, each cached for good and sent gzipped to browsers that take it', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/graphql', headers: browser });
    const files = linkedFiles(page.body);
    expect(files.map((url) => url.replace(/\.[\w-]{12}\./, '.*.')).sort()).toEqual(
      ['editor.worker.*.js', 'favicon.*.ico', 'graphiql.*.css', 'graphiql.*.js', 'graphql.worker.*.js', 'json.worker.*.js'].map(
        (name) => `/graphql/graphiql/${name}`,
      ),
    );
    for (const url of files) {
      const plain = await t.app.inject({ method: 'GET', url });
      expect(plain.statusCode, url).toBe(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      expect(zipped.headers.etag).not.toBe(plain.headers.etag);
      expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload), url).toBe(true);
      expect((await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': String(plain.headers.etag) } })).statusCode).toBe(304);
    }
    const script = await t.app.inject({ method: 'GET', url: files.find((url) => /graphiql\.[\w-]+\.js$/.test(url))! });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('renderYogaGraphiQL');
  });

  it('answers an unknown file 404 in GraphQL shape', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/graphql/graphiql/graphiql.000000000000.js' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ errors: [{ message: 'No route GET /graphql/graphiql/graphiql.000000000000.js', extensions: { code: 'NOT_FOUND' } }] });
  });
});

describe("GraphiQL under the heap `npm start` gives the server (HEAP_LIMIT_MB's 128 MB)", () => {
  it('serves 50 views at once, each with every file the page links, and the server still answers', { timeout: 300_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'assets-gateway-graphiql-'));
    const port = await freePort();
    const server = startTs('src/index.ts', [], { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'production' }, npmStartNodeFlags());
    const exit = finished(server);
    try {
      const output = await waitForOutput(server, /assets-gateway: GraphQL/);
      const key = /^\s+(agk_\S+)$/m.exec(output)?.[1];
      const base = `http://127.0.0.1:${port}`;
      const get = async (path: string, headers: Record<string, string> = {}) => {
        const response = await fetch(base + path, { headers });
        return { status: response.status, text: await response.text() };
      };
      // A file as a browser fetches it (gzip taken), read to its end and not unpacked: what the
      // server sends is what is measured, not the test's own decompression.
      const fetchFile = (path: string) =>
        new Promise<number>((resolve, reject) => {
          httpGet(base + path, { headers: { ...browser, 'accept-encoding': 'gzip, deflate, br' } }, (response) => {
            response
              .on('data', () => {})
              .on('end', () => resolve(response.statusCode ?? 0))
              .on('error', reject);
          }).on('error', reject);
        });
      // 50 browsers without a key, under the 60 views a minute an IP may open.
      const views = await Promise.allSettled(
        Array.from({ length: 50 }, async () => {
          const page = await get('/graphql', browser);
          return [page.status, ...(await Promise.all(linkedFiles(page.text).map(fetchFile)))];
        }),
      );
      if (views.some((view) => view.status === 'rejected')) {
        const { stderr } = await exit;
        expect.fail(`the server died: ${stderr.split('\n').find((line) => line.includes('FATAL ERROR')) ?? stderr.slice(-500)}`);
      }
      expect(views.flatMap((view) => (view.status === 'fulfilled' ? view.value : []))).toEqual(Array(50 * 7).fill(200));
      expect((await get('/healthz')).status).toBe(200);
      const query = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ assets { total } }' }),
      });
      expect(await query.json()).toEqual({ data: { assets: { total: 0 } } });
    } finally {
      server.kill('SIGTERM');
      await exit;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
