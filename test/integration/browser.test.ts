import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument as buildOpenApiDocument } from '../../src/rest/v1/index.ts';

const openApiDocument = (await buildOpenApiDocument()) as { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;
import { useTestApp } from '../helpers/app.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';

/**
 * GraphiQL and the REST docs page in a real headless Chromium (Debian's; .ci/run installs it).
 * Both must work offline: every script and style comes from this server, none from a CDN.
 */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Skipped where no Chromium is installed (a fresh machine: `npm test` stays green there), but
// never in CI, which installs it: there a missing browser fails the run.
const runBrowser = runsOrSaysWhy(
  existsSync(chromiumPath) || process.env.CI === 'true',
  'browser tests',
  `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
);
const t = useTestApp();
let browser: Browser;
let base: string;
let key: string;

beforeAll(async () => {
  if (!runBrowser) return;
  if (!existsSync(chromiumPath)) throw new Error(`No Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  key = await t.newKey(['read:assets']);
  const { db } = t.database;
  const { workspaceId } = await db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
  await db.asset.create({ data: { workspaceId, title: 'Seen in GraphiQL', slug: 'seen-in-graphiql', assetType: 'pdf' } });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
});

function offlineOnly(page: import('playwright-core').Page) {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  return foreign;
}

describe.runIf(runBrowser)('in a browser (needs Chromium: apt-get install chromium)', () => {
  it('GraphiQL runs an assets query with the Authorization header and shows the data', async () => {
    const page = await browser.newPage();
    const foreign = offlineOnly(page);
    await page.goto(`${base}/graphql`);
    const editor = page.locator('.graphiql-query-editor .CodeMirror, .graphiql-query-editor [role="textbox"], .graphiql-editor').first();
    await editor.waitFor({ timeout: 30_000 });

    // It opens on the Headers pane, with a template that shows where the key goes: set the key.
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last();
    await expect
      .poll(async () => (await headersEditor.innerText()).replace(/\s+/g, ' '), { timeout: 20_000 })
      .toContain('"Authorization": "Bearer <your API key>"');
    await headersEditor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(`{"Authorization": "Bearer ${key}"`);

    // Query editor: replace the default query.
    await page.locator('.graphiql-query-editor .graphiql-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('{ assets(perPage: 5) { total items { title assetType');
    // The editor's autocomplete popup can reopen over the toolbar after Escape (it did once in CI
    // and swallowed a real click), so wait until it is gone and send the click to the button itself.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.suggest-widget.visible').count(), { timeout: 10_000 }).toBe(0);
    await page.locator('.graphiql-execute-button').dispatchEvent('click');

    const result = page.locator('.graphiql-response');
    await expect.poll(async () => (await result.innerText()).replace(/\s+/g, ' '), { timeout: 20_000 }).toContain('Seen in GraphiQL');
    const text = (await result.innerText()).replace(/\s+/g, ' '); // the editor renders spaces as nbsp
    expect(text).toContain('"total": 1');
    expect(text).not.toContain('UNAUTHENTICATED');
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('GraphiQL fetches the schema for Docs once the key is typed, without a manual re-fetch', async () => {
    const page = await browser.newPage();
    const foreign = offlineOnly(page);
    const failedFiles: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/graphql/graphiql/') && response.status() >= 400) failedFiles.push(response.url());
    });
    await page.goto(`${base}/graphql`);
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last();
    await expect.poll(async () => (await headersEditor.innerText()).replace(/\s+/g, ' '), { timeout: 30_000 }).toContain('Bearer <your API key>');

    // Introspection needs a key: without one, Docs cannot show the schema.
    await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => docs.innerText(), { timeout: 20_000 }).toContain('Error fetching schema');

    await headersEditor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(`{"Authorization": "Bearer ${key}"`);
    await expect.poll(() => docs.innerText(), { timeout: 20_000 }).toContain('Root Types');
    const text = await docs.innerText();
    expect(text).toContain('query: Query');
    expect(text).toContain('mutation: Mutation');
    expect(text).not.toContain('Error fetching schema');
    expect(failedFiles).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('the REST docs page renders every route of the OpenAPI document', async () => {
    const page = await browser.newPage();
    const foreign = offlineOnly(page);
    await page.goto(`${base}/api/v1/docs`);
    const summaries = page.locator('.opblock-summary-path');
    // One summary per operation of the document (each path once per method).
    const expected = Object.entries(openApiDocument.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map(() => path))
      .sort();
    await expect.poll(() => summaries.count(), { timeout: 30_000 }).toBe(expected.length);
    expect((await summaries.allInnerTexts()).map((s) => s.replace(/\u200b/g, '')).sort()).toEqual(expected);
    await expect.poll(() => page.locator('.info .title').innerText()).toContain('Assets API');
    expect(foreign).toEqual([]);
    await page.close();
  });
});
