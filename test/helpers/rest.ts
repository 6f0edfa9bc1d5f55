import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { openApiDocument as buildOpenApiDocument } from '../../src/rest/v1/index.ts';
import { multipartBody } from './files.ts';

const openApiDocument = (await buildOpenApiDocument()) as { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/**
 * Every REST call in the tests goes through here: the real handler via app.inject, and the
 * response checked against the OpenAPI document (its status must be documented for the route,
 * and its body must match the schema), so the document cannot drift from the behaviour.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(openApiDocument, 'openapi.json');

type Method = 'get' | 'post' | 'head' | 'put' | 'patch' | 'delete';
const paths = openApiDocument.paths as Record<
  string,
  Partial<Record<Method, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>
>;

function routeOf(url: string): string {
  const path = url.split('?')[0].replace(/^\/api\/v1/, '');
  for (const template of Object.keys(paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return template;
  }
  throw new Error(`No path in the OpenAPI document matches ${url}`);
}

export interface RestResponse {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

function documentedResponse(method: Method, url: string, status: number) {
  const route = routeOf(url);
  const operation = paths[route][method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${route} is not in the OpenAPI document`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${method.toUpperCase()} ${route} answered ${status}, which the OpenAPI document does not list`);
  return { route, response };
}

/** For binary answers (downloads): the route and status must be documented, and a JSON body match its schema. */
export function checkBinaryAgainstOpenApi(method: Method, url: string, status: number, contentType: string | undefined, body: Buffer) {
  const { response } = documentedResponse(method, url, status);
  if (contentType?.startsWith('application/json') && response.content?.['application/json'])
    checkAgainstOpenApi(method, url, status, JSON.parse(body.toString()));
}

export function checkAgainstOpenApi(method: Method, url: string, status: number, body: unknown) {
  const { route, response } = documentedResponse(method, url, status);
  const ref = response.content?.['application/json']?.schema.$ref;
  if (!ref) throw new Error(`${method.toUpperCase()} ${route} ${status} has no JSON schema`);
  const validate = ajv.getSchema(`openapi.json${ref}`)!;
  if (!validate(body)) {
    throw new Error(`${method.toUpperCase()} ${url} → ${status} does not match ${ref}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  }
}

export async function rest(
  app: FastifyInstance,
  key: string | null,
  method: Method,
  url: string,
  options: { json?: unknown; payload?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RestResponse> {
  const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}) };
  let payload: InjectOptions['payload'];
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(options.json);
  } else if (options.payload !== undefined) {
    payload = options.payload;
  }
  const response = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: { ...headers, ...options.headers }, payload });
  const body = response.body ? response.json() : undefined;
  checkAgainstOpenApi(method, url, response.statusCode, body);
  return { status: response.statusCode, body, headers: response.headers };
}

/** POST /api/v1/uploads with one file part, named `name` (the contract's is `file`). */
export function uploadFile(app: FastifyInstance, key: string | null, content: Buffer | string, filename = 'file.bin', name = 'file'): Promise<RestResponse> {
  const { payload, contentType } = multipartBody([{ name, filename, content, contentType: 'application/octet-stream' }]);
  return rest(app, key, 'post', '/api/v1/uploads', { payload, headers: { 'content-type': contentType } });
}

/** An upload that must succeed: its `file_path`. */
export async function uploadedPath(app: FastifyInstance, key: string, content: Buffer | string, filename: string): Promise<string> {
  const response = await uploadFile(app, key, content, filename);
  if (response.status !== 201) throw new Error(`upload of ${filename}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data.file_path as string;
}
