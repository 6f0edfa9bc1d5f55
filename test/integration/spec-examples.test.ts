import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';
import { checkAgainstOpenApi } from '../helpers/rest.ts';

/**
 * The client examples of the published contract (docs/assets-api.md, a copy of the spec) run
 * as written against a listening server, with only the host and the key substituted:
 * cURL with the real curl, JavaScript with Node's fetch, Python with Debian's python3-requests.
 */
const run = promisify(execFile);
const t = useTestApp();
const specUrl = new URL('../../docs/assets-api.md', import.meta.url);
const sharedSpecUrl = new URL('../../../shared/spec/assets-api.md', import.meta.url);
/**
 * The first Python that can import requests: $PYTHON, then the one on PATH (as a reader of the spec
 * would run it), then Debian's, which is where `apt-get install python3-requests` puts it when
 * PATH leads to another Python first (pyenv, say).
 */
const pythons = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p));
const pythonWithRequests = pythons.find((p) => spawnSync(p, ['-c', 'import requests']).status === 0);
const hasPythonRequests = pythonWithRequests !== undefined;
const python = pythonWithRequests ?? 'python3';
const noPythonRequests = `no Python here imports requests (${pythons.join(', ')}; apt-get install python3-requests)`;

let base: string;
let key: string;
let spec: string;
/** Where the published text ends in docs/assets-api.md and this repository's additions begin. */
const additionsMark = '\n---\n\n## Where the published text is silent';

/** The spec's indented code blocks (4 spaces), split at blank lines, in order. */
function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  for (const line of [...markdown.split('\n'), '']) {
    if (line.startsWith('    ') && line.trim()) current.push(line.slice(4));
    else if (current.length) {
      blocks.push(current.join('\n'));
      current = [];
    }
  }
  return blocks;
}

const substitute = (code: string) => code.replaceAll('https://yourdomain.com', base).replaceAll('YOUR_API_KEY', key);

async function runCurl(command: string) {
  const { stdout } = await run('bash', ['-c', `${substitute(command)} --silent --show-error`]);
  return JSON.parse(stdout);
}

async function runJavaScript(snippet: string) {
  const program = `${substitute(snippet)}\nconsole.log(JSON.stringify({ status: response.status, data }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program]);
  return JSON.parse(stdout);
}

async function runPython(snippet: string) {
  const program = `${substitute(snippet)}\nimport json\nprint(json.dumps({"status": response.status_code, "data": data}))`;
  const { stdout } = await run(python, ['-c', program]);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  const docs = await readFile(specUrl, 'utf8');
  spec = docs.includes(additionsMark) ? docs.slice(0, docs.indexOf(additionsMark)) : docs;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  key = await t.newKey();
  for (const [i, type] of ['pdf', 'pdf', 'image'].entries()) {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: { title: `Seed ${i}`, asset_type: type },
    });
  }
});

describe('the spec’s client examples', () => {
  // docs/assets-api.md is the published contract, word for word, then this repository's additions
  // below a line of their own. The contract is published outside this repository: CI checks out
  // its folder `shared/` beside the clone, so the file is ../shared/spec/assets-api.md from the
  // repository's root. A clone without it skips this check, and says so; the examples run anyway.
  it.runIf(runsOrSaysWhy(existsSync(sharedSpecUrl), 'the spec word for word', `no published spec at ${sharedSpecUrl.pathname}`))(
    'are the published contract, word for word',
    async () => {
      expect(spec).toBe(await readFile(sharedSpecUrl, 'utf8'));
    },
  );

  it('cURL: list pdfs, get one, create the demo video', async () => {
    const curls = codeBlocks(spec).filter((b) => b.startsWith('curl '));
    expect(curls).toHaveLength(3);
    const [list, get, create] = curls;

    const listed = await runCurl(list);
    checkAgainstOpenApi('get', '/api/v1/assets', 200, listed);
    expect(listed.pagination).toEqual({ page: 1, per_page: 10, total: 2, total_pages: 1 });
    expect(listed.data.map((a: { asset_type: string }) => a.asset_type)).toEqual(['pdf', 'pdf']);

    // The get example names a fixed id: it answers 404 until that asset exists in your workspace.
    const missing = await runCurl(get);
    expect(missing).toEqual({ error: 'Not found', message: 'Asset not found' });

    const created = await runCurl(create);
    checkAgainstOpenApi('post', '/api/v1/assets', 201, created);
    expect(created.data).toMatchObject({
      title: 'New Product Demo',
      asset_type: 'external_video',
      video_embed: 'https://youtube.com/embed/example',
      is_public: true,
    });
    const fetched = await runCurl(get.replace('550e8400-e29b-41d4-a716-446655440000', created.data.id));
    expect(fetched).toEqual(created);
  });

  it('JavaScript fetch: the list example as written, and the create as the spec describes it', async () => {
    const [listSnippet] = codeBlocks(spec).filter((b) => b.startsWith('const response = await fetch('));
    const listed = await runJavaScript(listSnippet);
    expect(listed.status).toBe(200);
    checkAgainstOpenApi('get', '/api/v1/assets', 200, listed.data);
    expect(listed.data.data.every((a: { asset_type: string }) => a.asset_type === 'pdf')).toBe(true);

    const created = await runJavaScript(`const response = await fetch('https://yourdomain.com/api/v1/assets', {
  method: 'POST',
  headers: { 'Authorization': 'Bearer YOUR_API_KEY', 'Content-Type': 'application/json' },
  body: JSON.stringify({ title: 'JS Demo', asset_type: 'link', external_url: 'https://example.com', is_public: true })
});
const data = await response.json();`);
    expect(created.status).toBe(201);
    checkAgainstOpenApi('post', '/api/v1/assets', 201, created.data);
    expect(created.data.data).toMatchObject({ title: 'JS Demo', slug: 'js-demo', asset_type: 'link' });
  });

  // Skipped where Debian's python3-requests is missing (a fresh machine), never in CI, which installs it.
  it.runIf(runsOrSaysWhy(hasPythonRequests || process.env.CI === 'true', 'the Python examples', noPythonRequests))(
    'Python requests: the list example as written, and the create as the spec describes it',
    async () => {
      const [listSnippet] = codeBlocks(spec).filter((b) => b.startsWith('import requests'));
      const listed = await runPython(listSnippet);
      expect(listed.status).toBe(200);
      checkAgainstOpenApi('get', '/api/v1/assets', 200, listed.data);
      expect(listed.data.pagination.per_page).toBe(10);

      const created = await runPython(`import requests
response = requests.post(
    'https://yourdomain.com/api/v1/assets',
    headers={'Authorization': 'Bearer YOUR_API_KEY'},
    json={'title': 'Python Demo', 'asset_type': 'external_video', 'external_url': 'https://youtu.be/py1'}
)
data = response.json()`);
      expect(created.status).toBe(201);
      checkAgainstOpenApi('post', '/api/v1/assets', 201, created.data);
      expect(created.data.data).toMatchObject({ slug: 'python-demo', video_embed: 'https://youtube.com/embed/py1' });

      const refused = await runPython(`import requests
response = requests.post('https://yourdomain.com/api/v1/assets', headers={'Authorization': 'Bearer YOUR_API_KEY'}, json={'asset_type': 'pdf'})
data = response.json()`);
      expect(refused).toEqual({ status: 400, data: { error: 'Validation failed', message: 'Title is required', field: 'title' } });
    },
  );
});

describe('the examples this repository adds to docs/assets-api.md', () => {
  let blocks: { lang: string; code: string }[];
  beforeAll(async () => {
    const docs = await readFile(specUrl, 'utf8');
    const additions = docs.slice(docs.indexOf(additionsMark));
    blocks = [...additions.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang, code: code.trim() }));
  });
  const of = (lang: string) => blocks.filter((block) => block.lang === lang).map((block) => block.code);
  const pythonRuns = runsOrSaysWhy(hasPythonRequests || process.env.CI === 'true', 'the added Python examples', noPythonRequests);

  it('cURL and JavaScript: create, then get what was created', async () => {
    const [createCurl, getCurl] = of('sh');
    const created = await runCurl(createCurl);
    checkAgainstOpenApi('post', '/api/v1/assets', 201, created);
    expect(created.data).toMatchObject({ title: 'New Product Demo', asset_type: 'external_video', video_embed: 'https://youtube.com/embed/example' });
    expect(await runCurl(getCurl.replace('550e8400-e29b-41d4-a716-446655440000', created.data.id))).toEqual(created);

    const [createJs, getJs] = of('js');
    const show = "\nconsole.log(JSON.stringify({ status: response.status, data: typeof created !== 'undefined' ? created : asset }));";
    const js = async (snippet: string) => JSON.parse((await run(process.execPath, ['--input-type=module', '-e', substitute(snippet) + show])).stdout);
    const createdByJs = await js(createJs);
    expect(createdByJs.status).toBe(201);
    const got = await js(getJs.replace('550e8400-e29b-41d4-a716-446655440000', createdByJs.data.data.id));
    expect(got).toEqual({ status: 200, data: createdByJs.data });
  });

  it.runIf(pythonRuns)('Python: create, then get what was created', async () => {
    const [createPy, getPy] = of('python');
    const show = "\nimport json\nprint(json.dumps({'status': response.status_code, 'data': globals().get('created') or globals().get('asset')}))";
    const py = async (snippet: string) => JSON.parse((await run(python, ['-c', substitute(snippet) + show])).stdout);
    const created = await py(createPy);
    expect(created.status).toBe(201);
    expect(await py(getPy.replace('550e8400-e29b-41d4-a716-446655440000', created.data.data.id))).toEqual({ status: 200, data: created.data });
  });

  it('the 401 and 404 bodies are what the API answers', async () => {
    const [unauthorized, notFound] = of('json').map((body) => JSON.parse(body));
    const noKey = await t.app.inject({ url: '/api/v1/assets/550e8400-e29b-41d4-a716-446655440000' });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toEqual(unauthorized);
    const unknown = await t.app.inject({ url: '/api/v1/assets/550e8400-e29b-41d4-a716-446655440000', headers: { authorization: `Bearer ${key}` } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(notFound);
  });
});
