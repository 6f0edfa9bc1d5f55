import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument as buildOpenApiDocument } from '../../src/rest/v1/index.ts';

const openApiDocument = (await buildOpenApiDocument()) as { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents 507 on every route that writes, and only there', () => {
    const writes: string[] = [];
    const with507: string[] = [];
    for (const [path, operations] of Object.entries(openApiDocument.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!['get', 'head'].includes(method)) writes.push(`${method} ${path}`);
        if (operation.responses['507']) with507.push(`${method} ${path}`);
      }
    }
    expect(writes.length).toBeGreaterThan(10);
    expect(with507).toEqual(writes);
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = structuredClone(openApiDocument) as Record<string, unknown>;
    delete broken.info;
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });
});
