import Fastify, { type RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { openApiDocument, restV1 } from '../../src/rest/v1/index.ts';
import { registerRestRoutes, scopeRulesOf, type RestRoute } from '../../src/rest/v1/route-table.ts';
import { restAsset } from '../../src/rest/v1/routes/assets.ts';
import { parse } from 'graphql';

/**
 * The REST face is registered from its route table: every route under /api/v1 comes with the
 * schemas of what it reads and answers (which validate, serialize and document it), and a route
 * that would answer without a schema is refused when the app is built.
 */
async function restRoutesOf() {
  const app = Fastify();
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  await app.register(restV1, { prefix: '/api/v1', db: null as never, files: null as never, bodyLimit: 0 });
  await app.ready();
  await app.close();
  // The document and its docs page describe the API; they are not part of it.
  return routes.filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide);
}

describe('the REST route table', () => {
  it('gives every /api/v1 route a response schema for its success and each refusal, an operation id and a tag', async () => {
    const routes = await restRoutesOf();
    expect(routes.length).toBeGreaterThanOrEqual(24);
    for (const route of routes) {
      const schema = route.schema as { response?: Record<string, unknown>; operationId?: string; tags?: string[] };
      const name = `${route.method} ${route.url}`;
      expect(schema?.operationId, name).toBeTruthy();
      expect(schema?.tags?.length, name).toBe(1);
      const statuses = Object.keys(schema?.response ?? {});
      expect(
        statuses.some((status) => status.startsWith('2')),
        `${name} documents its success`,
      ).toBe(true);
      for (const refusal of ['401', '429', '500']) expect(statuses, name).toContain(refusal);
    }
  });

  it('documents each body in the media type its route reads', async () => {
    const document = (await openApiDocument()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };
    expect(Object.keys(document.paths['/uploads'].post.requestBody!.content)).toEqual(['multipart/form-data']);
    expect(Object.keys(document.paths['/assets'].post.requestBody!.content)).toEqual(['application/json']);
  });

  it('refuses to register a route without a response schema for its success', () => {
    const unanswered: RestRoute = {
      method: 'GET',
      url: '/unanswered',
      operationId: 'unanswered',
      tag: 'assets',
      summary: 'A route whose answer is not described',
      operation: 'query Unanswered($id: ID!) { asset(id: $id) { id } }',
      params: { id: 'id' },
      custom: { handler: () => async () => ({}) },
    };
    expect(() => registerRestRoutes(Fastify(), [unanswered], { db: null as never, files: null as never })).toThrow(
      'GET /unanswered has no response schema for its success',
    );
  });

  it("derives a route's scope rules from the scope table, in the order it selects them, crossing fields included", () => {
    const fragments = restAsset.fragments;
    expect(scopeRulesOf(parse(`query { assets { items { ...RestAsset } } } ${fragments}`))).toEqual([['read:assets']]);
    expect(scopeRulesOf(parse(`query { library(id: "x") { assets { items { ...RestAsset } } } } ${fragments}`))).toEqual([['read:libraries'], ['read:assets']]);
    expect(scopeRulesOf(parse('mutation { revokeApiKey(prefix: "x") { prefix } }'))).toEqual([['admin:keys']]);
    // A rule any one of whose scopes grants it stays one rule.
    expect(scopeRulesOf(parse('query { node(id: "x") { id } }'))).toEqual([['read:assets', 'read:libraries']]);
  });
});
