import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';

const t = useTestApp();

describe('the root and unknown routes', () => {
  it('GET / links to GraphQL and the REST docs, and each link answers', async () => {
    const response = await t.app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    const links = response.json() as Record<string, string>;
    expect(links).toMatchObject({ graphql: '/graphql', restDocs: '/api/v1/docs', openapi: '/api/v1/openapi.json' });
    for (const [name, url] of Object.entries(links)) {
      if (name === 'name' || name === 'rest') continue;
      const linked = await t.app.inject({ url, headers: { accept: 'text/html' } });
      expect([200, 302], `${name}: ${url}`).toContain(linked.statusCode);
    }
  });

  // Under /graphql an unknown path answers in GraphQL's shape (test/integration/bad-input.test.ts).
  it.each(['/nope', '/api/v2/assets'])('%s answers 404 in the REST error shape', async (url) => {
    const response = await t.app.inject({ url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'Not found', message: `No route GET ${url}` });
  });
});
