import { resolve } from 'node:path';

/** Every setting the gateway reads, with a default that works on a fresh machine (see README). */
export interface Config {
  port: number;
  host: string;
  /** Embedded database and uploaded files live here. */
  dataDir: string;
  /** Unset → embedded PGlite in `${dataDir}/pglite`. */
  databaseUrl: string | undefined;
  logLevel: string;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Deepest GraphQL selection accepted. */
  maxQueryDepth: number;
  /** Highest graphql-armor cost (objects 2, scalars 1, times 1.5 per level, a literal first/last multiplying) of one operation. */
  maxQueryCost: number;
  /** Most aliases in one GraphQL operation. */
  maxQueryAliases: number;
  /** Most directives in one GraphQL operation. */
  maxQueryDirectives: number;
  /** Most lexical tokens in one GraphQL document (parsing stops there). */
  maxQueryTokens: number;
  /** Connections the PostgreSQL server pool may open. */
  databasePoolSize: number;
  /** How long a verified API key is remembered (a revoked key works at most this long). 0: never. */
  keyCacheTtlMs: number;
  /** Serve plain JSON POSTs to /graphql without yoga's fetch-API layer (src/graphql/json-post.ts). */
  graphqlJsonFastPath: boolean;
  /** Largest file accepted by POST /api/v1/uploads, in bytes (413 above it). */
  uploadLimitBytes: number;
  /** Largest file accepted by GraphQL's uploadFile (yoga holds it in memory while parsing). */
  graphqlUploadLimitBytes: number;
  /** Uploads not attached to an asset after this many hours are deleted. */
  uploadTtlHours: number;
  /** How long metadata extraction of one file may run before it is stopped (400). */
  extractTimeoutMs: number;
  /** Heap of the worker that extracts metadata, in MB. */
  extractMemoryMb: number;
  /** Most pixels an image may declare (width × height); larger ones are refused. */
  maxImagePixels: number;
  /** Time a client has to send its request headers (Node answers 408 and closes after it). */
  headersTimeoutMs: number;
  /** Time a client has, once its headers are in, to send the whole body (408 in the face's shape). */
  bodyTimeoutMs: number;
  /** The same for a multipart body (an upload): 100 MiB at 1 Mbit/s takes 14 minutes. */
  uploadBodyTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed. */
  connectionTimeoutMs: number;
  /** Requests per minute per API key; 0 turns every rate limit off. */
  rateLimitPerMinute: number;
  /** Requests per minute per client IP without a valid key (failed authentications included). */
  rateLimitUnauthenticatedPerMinute: number;
  /** `redis://…` shares rate limits (and key revocations) across gateway processes; unset: in memory. */
  redisUrl: string | undefined;
  /** Prefix of every key the gateway writes to Redis, so that deployments can share one. */
  redisKeyPrefix: string;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function booleanFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** A worker's heap below ~16 MB cannot even start on Node 24: V8 aborts the whole process. */
function atLeast(minimum: number, name: string, value: number): number {
  if (value < minimum) throw new Error(`${name} must be at least ${minimum}, got "${value}"`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: intFrom(env, 'PORT', 4000),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimit: intFrom(env, 'BODY_LIMIT_BYTES', 1024 * 1024),
    maxQueryDepth: intFrom(env, 'MAX_QUERY_DEPTH', 10),
    maxQueryCost: intFrom(env, 'MAX_QUERY_COST', 25000),
    maxQueryAliases: intFrom(env, 'MAX_QUERY_ALIASES', 15),
    maxQueryDirectives: intFrom(env, 'MAX_QUERY_DIRECTIVES', 20),
    maxQueryTokens: intFrom(env, 'MAX_QUERY_TOKENS', 2000),
    databasePoolSize: intFrom(env, 'DATABASE_POOL_SIZE', 10),
    keyCacheTtlMs: intFrom(env, 'KEY_CACHE_TTL_MS', 10_000),
    graphqlJsonFastPath: booleanFrom(env, 'GRAPHQL_JSON_FAST_PATH', true),
    uploadLimitBytes: intFrom(env, 'UPLOAD_LIMIT_BYTES', 100 * 1024 * 1024),
    graphqlUploadLimitBytes: intFrom(env, 'GRAPHQL_UPLOAD_LIMIT_BYTES', 10 * 1024 * 1024),
    uploadTtlHours: intFrom(env, 'UPLOAD_TTL_HOURS', 24),
    extractTimeoutMs: intFrom(env, 'EXTRACT_TIMEOUT_MS', 5000),
    extractMemoryMb: atLeast(16, 'EXTRACT_MEMORY_MB', intFrom(env, 'EXTRACT_MEMORY_MB', 96)),
    maxImagePixels: intFrom(env, 'MAX_IMAGE_PIXELS', 100_000_000),
    headersTimeoutMs: intFrom(env, 'HEADERS_TIMEOUT_MS', 10_000),
    bodyTimeoutMs: intFrom(env, 'BODY_TIMEOUT_MS', 10_000),
    uploadBodyTimeoutMs: intFrom(env, 'UPLOAD_BODY_TIMEOUT_MS', 30 * 60_000),
    connectionTimeoutMs: intFrom(env, 'CONNECTION_TIMEOUT_MS', 60_000),
    rateLimitPerMinute: intFrom(env, 'RATE_LIMIT_PER_MINUTE', 1200),
    rateLimitUnauthenticatedPerMinute: intFrom(env, 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60),
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'agw:',
  };
}
