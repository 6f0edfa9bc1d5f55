import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where file bytes live (STORAGE_URL): a folder on local disk, or a bucket of an S3-compatible store. */
export type StorageConfig =
  | { kind: 'disk'; root: string }
  | {
      kind: 's3';
      /** `s3://bucket/prefix`, for messages (it holds no secret: credentials come from the SDK's chain). */
      url: string;
      bucket: string;
      /** Empty, or ends with `/`: every key the gateway writes starts with it. */
      prefix: string;
      /** S3_ENDPOINT: unset for AWS S3 itself. */
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
    };

/** PERSISTED_OPERATIONS and its manifest (src/graphql/persisted-operations.ts). */
export interface PersistedOperationsConfig {
  mode: 'off' | 'allow' | 'require';
  /** PERSISTED_OPERATIONS_FILE: the manifest graphql-codegen's persistedDocuments writes. */
  file: string | undefined;
}

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
  /** Events of the event log are kept this many hours (resuming subscriptions, webhook retries), then pruned. */
  eventRetentionHours: number;
  /** The subscriptions' safety net: while any is open, the event log is read at least this often, whatever the wake-ups did. */
  eventsPollMs: number;
  /** Most subscriptions one API key may hold open on one process. */
  subscriptionsPerKey: number;
  /** Most subscriptions one process serves (SSE and WebSocket together). */
  subscriptionsPerProcess: number;
  /** Webhook URLs may be http and point at private, loopback and link-local addresses (tests, private networks). */
  webhookAllowPrivateNetworks: boolean;
  /** First retry delay of a failed webhook delivery; doubled at each retry, with jitter. */
  webhookRetryDelaySeconds: number;
  /** Retries of a failed webhook delivery before it is given up. */
  webhookRetryLimit: number;
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
  /** How long a stop (SIGTERM, SIGINT) lets the requests in flight finish before it cuts them. */
  shutdownGraceMs: number;
  /** Requests per minute per API key; 0 turns every rate limit off. */
  rateLimitPerMinute: number;
  /** Requests per minute per client IP without a valid key (failed authentications included). */
  rateLimitUnauthenticatedPerMinute: number;
  /** `redis://…` shares rate limits (and key revocations) across gateway processes; unset: in memory. */
  redisUrl: string | undefined;
  /** Prefix of every key the gateway writes to Redis, so that deployments can share one. */
  redisKeyPrefix: string;
  /** STORAGE_URL and S3_*: where uploaded files and thumbnails are stored. */
  storage: StorageConfig;
  /** The most text of one file kept for content search, in UTF-8 bytes; 0 keeps none. */
  searchTextLimitBytes: number;
  /** PostgreSQL's text search configuration for content search: stemming and stop words. */
  searchLanguage: string;
  persistedOperations: PersistedOperationsConfig;
  /** METRICS_PORT: a listener on 127.0.0.1 serving GET /metrics without a key; unset: none. */
  metricsPort: number | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: traces go there (OpenTelemetry's exporter reads it and OTEL_*); unset: no tracing. */
  otelEndpoint: string | undefined;
  /** Gateway processes `npm start` runs on the one port (node:cluster); 1: this process serves alone. */
  webConcurrency: number;
  /** Image renditions (GET /api/v1/assets/{id}/image): the limits that keep them from taking the server down. */
  renditions: RenditionConfig;
  /** URL_SIGNING_SECRET: the HMAC secret of signed URLs; unset: one generated at first start and kept in the database. */
  urlSigningSecret: string | undefined;
}

/** RENDITION_*: how many renders run at once in a process, how many may wait, how long one may take, how large its output may be. */
export interface RenditionConfig {
  concurrency: number;
  /** Requests waiting for a render slot; past this many, 503 with Retry-After. */
  queueLimit: number;
  timeoutMs: number;
  maxOutputPixels: number;
}

/**
 * PostgreSQL's built-in text search configurations (PGlite has the same). A tsvector holds at
 * most 1 MB, so the text limit stays well below it (the vector's function halves what still
 * does not fit).
 */
export const searchLanguages = [
  'simple',
  'arabic',
  'armenian',
  'basque',
  'catalan',
  'danish',
  'dutch',
  'english',
  'estonian',
  'finnish',
  'french',
  'german',
  'greek',
  'hindi',
  'hungarian',
  'indonesian',
  'irish',
  'italian',
  'lithuanian',
  'nepali',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'serbian',
  'spanish',
  'swedish',
  'tamil',
  'turkish',
  'yiddish',
];
export const maxSearchTextLimitBytes = 1024 * 1024;

/** Node's timers hold at most 2^31-1 ms; a longer one fires at once. */
const maxTimerMs = 2 ** 31 - 1;
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads variables and refuses a bad one with an Error whose one-line message names it. A variable
 * set to an empty string is refused too: `PORT=` is a mistake far more often than a wish for the
 * default, and silently serving on 4000 hides it. Values of URL variables are never repeated,
 * since they may carry passwords.
 */
function reader(env: NodeJS.ProcessEnv) {
  const raw = (name: string): string | undefined => {
    const value = env[name];
    if (value === '') throw new Error(`${name} is set but empty: give it a value, or unset it for the default`);
    return value;
  };
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return number;
  };
  return {
    int,
    ms: (name: string, fallback: number) => int(name, fallback, 0, maxTimerMs),
    boolean(name: string, fallback: boolean): boolean {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw new Error(`${name} must be true or false, got "${value}"`);
    },
    text: (name: string, fallback: string): string => raw(name) ?? fallback,
    pattern(name: string, fallback: string, pattern: RegExp, what: string): string {
      const value = raw(name) ?? fallback;
      if (!pattern.test(value)) throw new Error(`${name} must be ${what}, got "${value}"`);
      return value;
    },
    oneOf(name: string, fallback: string, values: string[]): string {
      const value = raw(name) ?? fallback;
      if (!values.includes(value)) throw new Error(`${name} must be one of ${values.join(', ')}, got "${value}"`);
      return value;
    },
    host(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      if (!isIP(value) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value)) {
        throw new Error(`${name} must be an IP address or a host name, got "${value}"`);
      }
      return value;
    },
    url(name: string, protocols: string[]): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      const protocol = URL.canParse(value) ? new URL(value).protocol : null;
      if (!protocol || !protocols.includes(protocol)) {
        throw new Error(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL (its value is not shown: it may hold a password)`);
      }
      return value;
    },
  };
}

/** S3's rules for bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), which other stores share. */
/** A key prefix of S3's "safe" characters (anything else would need escaping somewhere), no empty, "." or ".." segment. */
const prefixPattern = /^(?!\.{1,2}(\/|$))[A-Za-z0-9!_.*'()-]+(\/(?!\.{1,2}(\/|$))[A-Za-z0-9!_.*'()-]+)*$/;
const bucketName = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * STORAGE_URL: unset → `DATA_DIR/uploads`; `file:///absolute/path` → that folder;
 * `s3://bucket/prefix` → that bucket, its S3_* settings read too. S3_* without an s3:// URL is a
 * mistake (they would change nothing), refused like any other.
 */
function readStorage(read: ReturnType<typeof reader>, dataDir: string): StorageConfig {
  const value = read.text('STORAGE_URL', '');
  const expected = 'STORAGE_URL must be file:///absolute/path or s3://bucket/prefix';
  const s3Settings = ['S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE'];
  if (!value.startsWith('s3:')) {
    const stray = s3Settings.find((name) => read.text(name, '') !== '');
    if (stray) throw new Error(`${stray} is set, but STORAGE_URL is not an s3:// URL: set STORAGE_URL=s3://bucket/prefix, or unset ${stray}`);
  }
  if (!value) return { kind: 'disk', root: join(dataDir, 'uploads') };
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url?.protocol === 'file:') {
    if (url.host || url.search || url.hash) throw new Error(`${expected}: a file: URL has no host, query or fragment`);
    const root = fileURLToPath(url);
    if (!isAbsolute(root) || resolve(root) === '/') throw new Error(`${expected}: give a folder other than /`);
    return { kind: 'disk', root: resolve(root) };
  }
  if (url?.protocol === 's3:') {
    if (url.username || url.password || url.port || url.search || url.hash) {
      throw new Error(`${expected}: credentials come from the AWS SDK's chain (AWS_ACCESS_KEY_ID, …), never from the URL`);
    }
    if (!bucketName.test(url.hostname)) throw new Error(`${expected}: the bucket name must be 3-63 lower-case letters, digits, dots and hyphens`);
    const path = url.pathname.replace(/^\/+|\/+$/g, '');
    if (path && !prefixPattern.test(path)) {
      throw new Error(`${expected}: the prefix may hold letters, digits and !_.*'()- in segments separated by single slashes`);
    }
    return {
      kind: 's3',
      url: `s3://${url.hostname}${path ? `/${path}` : ''}`,
      bucket: url.hostname,
      prefix: path ? `${path}/` : '',
      endpoint: read.url('S3_ENDPOINT', ['http:', 'https:']),
      region: read.pattern('S3_REGION', 'us-east-1', /^[a-z0-9-]{1,50}$/, 'an AWS region name such as us-east-1 (auto for Cloudflare R2)'),
      forcePathStyle: read.boolean('S3_FORCE_PATH_STYLE', false),
    };
  }
  // The value is not repeated: a mistyped URL may hold a password.
  throw new Error(`${expected} (its value is not shown: it may hold a password)`);
}

/** A manifest without a mode, or a mode without a manifest, is a mistake: refused by name. */
function readPersistedOperations(read: ReturnType<typeof reader>): PersistedOperationsConfig {
  const mode = read.oneOf('PERSISTED_OPERATIONS', 'off', ['off', 'allow', 'require']) as PersistedOperationsConfig['mode'];
  const file = read.text('PERSISTED_OPERATIONS_FILE', '') || undefined;
  if (mode !== 'off' && !file) throw new Error(`PERSISTED_OPERATIONS=${mode} needs PERSISTED_OPERATIONS_FILE, the manifest of the operations to serve`);
  if (mode === 'off' && file)
    throw new Error('PERSISTED_OPERATIONS_FILE is set, but PERSISTED_OPERATIONS is off: set it to allow or require, or unset the file');
  return { mode, file: file && resolve(file) };
}

/** Every setting, checked before anything is opened or created: a bad one throws, naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = reader(env);
  const dataDir = resolve(read.text('DATA_DIR', './data'));
  return {
    port: read.int('PORT', 4000, 1, 65535),
    host: read.host('HOST', '127.0.0.1'),
    dataDir,
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    logLevel: read.oneOf('LOG_LEVEL', 'info', logLevels),
    bodyLimit: read.int('BODY_LIMIT_BYTES', 1024 * 1024),
    maxQueryDepth: read.int('MAX_QUERY_DEPTH', 10),
    maxQueryCost: read.int('MAX_QUERY_COST', 25000),
    maxQueryAliases: read.int('MAX_QUERY_ALIASES', 15),
    maxQueryDirectives: read.int('MAX_QUERY_DIRECTIVES', 20),
    maxQueryTokens: read.int('MAX_QUERY_TOKENS', 2000),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, 1),
    keyCacheTtlMs: read.ms('KEY_CACHE_TTL_MS', 10_000),
    graphqlJsonFastPath: read.boolean('GRAPHQL_JSON_FAST_PATH', true),
    uploadLimitBytes: read.int('UPLOAD_LIMIT_BYTES', 100 * 1024 * 1024),
    graphqlUploadLimitBytes: read.int('GRAPHQL_UPLOAD_LIMIT_BYTES', 10 * 1024 * 1024),
    uploadTtlHours: read.int('UPLOAD_TTL_HOURS', 24),
    eventRetentionHours: read.int('EVENT_RETENTION_HOURS', 72, 1),
    eventsPollMs: read.ms('EVENTS_POLL_MS', 5000),
    subscriptionsPerKey: read.int('SUBSCRIPTIONS_PER_KEY', 20, 1),
    subscriptionsPerProcess: read.int('SUBSCRIPTIONS_PER_PROCESS', 2000, 1),
    webhookAllowPrivateNetworks: read.boolean('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    webhookRetryDelaySeconds: read.int('WEBHOOK_RETRY_DELAY_SECONDS', 10, 1, 3600),
    webhookRetryLimit: read.int('WEBHOOK_RETRY_LIMIT', 12, 0, 20),
    extractTimeoutMs: read.ms('EXTRACT_TIMEOUT_MS', 5000),
    // A worker's heap below ~16 MB cannot even start on Node 24: V8 aborts the whole process.
    extractMemoryMb: read.int('EXTRACT_MEMORY_MB', 96, 16),
    maxImagePixels: read.int('MAX_IMAGE_PIXELS', 100_000_000),
    headersTimeoutMs: read.ms('HEADERS_TIMEOUT_MS', 10_000),
    bodyTimeoutMs: read.ms('BODY_TIMEOUT_MS', 10_000),
    uploadBodyTimeoutMs: read.ms('UPLOAD_BODY_TIMEOUT_MS', 30 * 60_000),
    connectionTimeoutMs: read.ms('CONNECTION_TIMEOUT_MS', 60_000),
    // Under Kubernetes' default 30 s between SIGTERM and SIGKILL, with time left to cut and clean up.
    shutdownGraceMs: read.ms('SHUTDOWN_GRACE_MS', 25_000),
    rateLimitPerMinute: read.int('RATE_LIMIT_PER_MINUTE', 1200),
    rateLimitUnauthenticatedPerMinute: read.int('RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: read.text('REDIS_KEY_PREFIX', 'agw:'),
    storage: readStorage(read, dataDir),
    searchTextLimitBytes: read.int('SEARCH_TEXT_LIMIT_BYTES', 256 * 1024, 0, maxSearchTextLimitBytes),
    searchLanguage: read.oneOf('SEARCH_LANGUAGE', 'english', searchLanguages),
    persistedOperations: readPersistedOperations(read),
    metricsPort: env.METRICS_PORT === undefined ? undefined : read.int('METRICS_PORT', 0, 1, 65535),
    otelEndpoint: read.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    webConcurrency: readWebConcurrency(read, env),
    renditions: {
      concurrency: read.int('RENDITION_CONCURRENCY', 2, 1, 64),
      queueLimit: read.int('RENDITION_QUEUE_LIMIT', 64, 0, 10_000),
      timeoutMs: read.int('RENDITION_TIMEOUT_MS', 10_000, 1000, maxTimerMs),
      maxOutputPixels: read.int('RENDITION_MAX_OUTPUT_PIXELS', 4096 * 4096, 1),
    },
    urlSigningSecret: readSigningSecret(read),
  };
}

/** A secret of at least 32 characters: a short one could be guessed from signed URLs offline. Its value is never repeated. */
function readSigningSecret(read: ReturnType<typeof reader>): string | undefined {
  const value = read.text('URL_SIGNING_SECRET', '') || undefined;
  if (value !== undefined && value.length < 32) throw new Error('URL_SIGNING_SECRET must be at least 32 characters (its value is not shown)');
  return value;
}

/** Most processes WEB_CONCURRENCY may ask for: far more than cores on any machine the gateway fits. */
const maxWebConcurrency = 64;

/** Several processes share one database server: the embedded one is a single process's files. */
function readWebConcurrency(read: ReturnType<typeof reader>, env: NodeJS.ProcessEnv): number {
  const processes = read.int('WEB_CONCURRENCY', 1, 1, maxWebConcurrency);
  if (processes > 1 && env.DATABASE_URL === undefined) {
    throw new Error(
      `WEB_CONCURRENCY=${processes} needs DATABASE_URL: the embedded database belongs to one process; set DATABASE_URL=postgres://… or unset WEB_CONCURRENCY`,
    );
  }
  return processes;
}
