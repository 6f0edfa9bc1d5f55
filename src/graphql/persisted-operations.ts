import { readFileSync } from 'node:fs';
import { GraphQLError, parse } from 'graphql';
import type { Principal } from '../auth/keys.ts';
import type { PersistedOperationsConfig } from '../config.ts';
import { ErrorCode } from './errors.ts';

/**
 * Persisted operations (trusted documents): a frontend build ships a manifest of id → document,
 * the file graphql-codegen's client preset writes with `persistedDocuments: true`
 * (`persisted-documents.json`), and its requests send the id instead of the document: GraphQL
 * over HTTP's `documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`.
 *
 * PERSISTED_OPERATIONS: `off` ignores ids; `allow` runs a known id's document and any document;
 * `require` runs only known ids, except for keys with the `explore:graphql` scope (GraphiQL).
 * The REST routes run their own fixed operations and are not concerned.
 */
export interface PersistedOperations {
  mode: PersistedOperationsConfig['mode'];
  documents: ReadonlyMap<string, string>;
}

/** Reads and checks the manifest at start: a bad one is one line naming PERSISTED_OPERATIONS_FILE. */
export function loadPersistedOperations({ mode, file }: PersistedOperationsConfig): PersistedOperations {
  if (mode === 'off' || !file) return { mode: 'off', documents: new Map() };
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON file';
    throw new Error(`PERSISTED_OPERATIONS_FILE ${file}: ${reason}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`PERSISTED_OPERATIONS_FILE ${file}: expected an object of id → document, as graphql-codegen's persistedDocuments writes`);
  }
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(manifest)) {
    if (typeof document !== 'string') throw new Error(`PERSISTED_OPERATIONS_FILE ${file}: the document of ${id} is not a string`);
    try {
      parse(document);
    } catch (error) {
      throw new Error(`PERSISTED_OPERATIONS_FILE ${file}: the document of ${id} does not parse (${(error as Error).message.split('\n')[0]})`);
    }
    documents.set(plainHash(id), document);
  }
  return { mode, documents };
}

/**
 * An id without its algorithm: codegen's manifest and GraphQL over HTTP's `documentId` write
 * `sha256:<hex>`, Apollo's link sends the bare hex.
 */
const plainHash = (id: string) => id.replace(/^sha256:/, '');

/** What a request sends: GraphQL over HTTP's parameters, plus the persisted-operation ids. */
export interface OperationParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/** The id a request names: `documentId`, else Apollo's `extensions.persistedQuery.sha256Hash`. */
function idOf(params: OperationParams): string | undefined {
  if (typeof params.documentId === 'string') return params.documentId;
  const persistedQuery = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery;
  return typeof persistedQuery?.sha256Hash === 'string' ? persistedQuery.sha256Hash : undefined;
}

/**
 * The document a request runs, or the refusal: PERSISTED_QUERY_NOT_FOUND for an unknown id sent
 * alone (Apollo's link then sends it again with its document), PERSISTED_QUERY_ONLY for a document
 * of the request's own under `require`, unless its key has `explore:graphql`. Undefined: the
 * request has no document at all (GraphQL over HTTP's own refusal follows).
 */
export function documentOf(params: OperationParams, principal: Principal | null, persisted: PersistedOperations): string | undefined | GraphQLError {
  const query = typeof params.query === 'string' ? params.query : undefined;
  if (persisted.mode === 'off') return query;
  const id = idOf(params);
  if (id !== undefined) {
    const document = persisted.documents.get(plainHash(id));
    if (document !== undefined) return document;
    if (query === undefined) return new GraphQLError('PersistedQueryNotFound', { extensions: { code: ErrorCode.persistedQueryNotFound } });
  }
  if (query === undefined || persisted.mode === 'allow' || principal?.scopes.has('explore:graphql')) return query;
  return new GraphQLError('Only persisted operations are served: send a documentId of this deployment, or use a key with the explore:graphql scope', {
    extensions: { code: ErrorCode.persistedQueryOnly },
  });
}
