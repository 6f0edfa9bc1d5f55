import type { FastifyReply, FastifyRequest } from 'fastify';
import { getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ParseOptions, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/keys.ts';
import { measuredPhase } from '../metrics.ts';
import type { Db } from '../db/client.ts';
import type { Files } from '../domain/files/index.ts';
import { createContext } from './context.ts';
import { executeOperation } from './execute.ts';
import { documentOf, type PersistedOperations } from './persisted-operations.ts';
import { schema } from './schema.ts';

/** `Accept` values (their first media range) a plain JSON POST may come with, and the type yoga answers. */
const answeredMediaTypes = new Map([
  ['', 'application/json'],
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json', 'application/graphql-response+json'],
]);
const bodyKeys = new Set(['query', 'documentId', 'variables', 'operationName', 'extensions']);

interface GraphQLParams {
  query?: string;
  documentId?: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A body yoga would accept as one operation: the keys and types of GraphQL over HTTP, nothing else. */
function plainParams(body: unknown): GraphQLParams | null {
  if (!isObject(body) || (body.query !== undefined && typeof body.query !== 'string')) return null;
  for (const key in body) if (!bodyKeys.has(key)) return null;
  const { variables, operationName, extensions, documentId } = body;
  if (documentId !== undefined && typeof documentId !== 'string') return null;
  if (variables != null && !isObject(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (extensions != null && !isObject(extensions)) return null;
  return body as unknown as GraphQLParams;
}

/** The media type to answer in, when `Accept` starts with a plain JSON range; null sends the request to yoga. */
function mediaTypeOf(accept: string | undefined): string | null {
  const first = (accept ?? '').split(',', 1)[0].trim();
  return answeredMediaTypes.get(first) ?? null;
}

/** What both GraphQL paths run with: this one and yoga (./yoga.ts) get the same rules. */
export interface GraphQLRequestDeps {
  db: Db;
  files: Files;
  /** The caller, as src/http/access.ts verified it before the body was read. */
  principalOf: (req: FastifyRequest) => Principal | null | Promise<Principal | null>;
  /** The depth/cost/alias limits (./limits.ts), checked after graphql-js's own rules as yoga does. */
  limitRules: ValidationRule[];
  /** The token limit (./limits.ts). */
  parseOptions: ParseOptions;
  /** PERSISTED_OPERATIONS and its manifest: which documents may run. */
  persisted: PersistedOperations;
  onInternalError: (error: unknown) => void;
}

/**
 * Serves the request nearly every client sends — POST application/json with one query or
 * mutation, answered as JSON — straight from graphql-js, without yoga's fetch-API round trip
 * (a Request and a Response object per call): about a quarter less CPU per request in the
 * bench (bench/RESULTS-archive.md), and graphql-yoga is not even loaded until a request needs it. The
 * rules are the same objects yoga uses: the schema with its scope rules, the validation rules
 * with the depth/cost/alias limits, and the error masking and field-named variable errors of
 * `executeOperation`; statuses, headers and bodies match yoga's byte for byte
 * (test/integration/graphql-http.test.ts compares them).
 *
 * Anything else — GET, GraphiQL's page, batches, other `Accept` types, and any document that does
 * not parse, does not validate or does not name one query or mutation — returns false and is
 * left to yoga, which answers it as GraphQL over HTTP says.
 */
export function createJsonPostHandler({ db, files, principalOf, limitRules, parseOptions, persisted, onInternalError }: GraphQLRequestDeps) {
  const validationRules = [...specifiedRules, ...limitRules];
  // Query text → its parsed document once it validated, or null when yoga must answer it.
  // Bounded by count and by total query length, so distinct queries cannot exhaust memory.
  const documents = new LRUCache<string, { document: DocumentNode | null }>({
    max: 1000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (_value, query) => query.length + 1,
  });

  function documentFor(query: string): DocumentNode | null {
    const cached = documents.get(query);
    if (cached) return cached.document;
    let document: DocumentNode | null = null;
    try {
      const parsed = measuredPhase('parse', () => parse(query, parseOptions));
      if (!measuredPhase('validate', () => validate(schema, parsed, validationRules)).length) document = parsed;
    } catch {
      // A syntax error: yoga reports it.
    }
    documents.set(query, { document });
    return document;
  }

  return async function handleJsonPost(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (req.method !== 'POST') return false;
    const mediaType = mediaTypeOf(req.headers.accept);
    const params = mediaType ? plainParams(req.body) : null;
    if (!mediaType || !params) return false;
    const principal = await principalOf(req);
    // A refusal of persisted operations, or no document at all: yoga answers it.
    const query = documentOf(params, principal, persisted);
    if (typeof query !== 'string') return false;
    const document = documentFor(query);
    if (!document) return false;
    const operationName = params.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation === 'subscription') return false;

    const result = await executeOperation(document, params.variables ?? undefined, createContext(db, files, principal), onInternalError, operationName);
    // Always 200, as yoga answers these requests: the errors executeOperation returns are masked
    // GraphQL errors, without the `extensions.http` that would give yoga another status.
    reply.status(200).header('content-type', `${mediaType}; charset=utf-8`).send(JSON.stringify(result));
    return true;
  };
}
