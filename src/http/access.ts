import { once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Authenticate } from '../auth/authenticate.ts';
import type { Principal } from '../auth/keys.ts';
import { keyRevocations } from '../auth/revocations.ts';
import type { Config } from '../config.ts';
import { rateLimitRefusals, redisErrors } from '../metrics.ts';
import { inSpan, tracingOn } from '../tracing.ts';
import { unauthenticatedMessage } from '../graphql/errors.ts';
import { wantsGraphiQL } from '../graphql/graphiql.ts';
import { isGraphQLRequest, sendHttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: the principal of a valid API key, or null. Set before the body is read. */
    principal: Principal | null;
    /**
     * Counts a keyless request that a route refused for a check of its own (a signed URL's
     * signature) against its IP's budget of keyless calls. False once it has answered 429.
     */
    spendKeylessBudget(reply: FastifyReply): Promise<boolean>;
  }
}

/** Routes that are neither limited nor authenticated: probes, and the API's own documentation (GraphiQL's files too). */
const openPaths = /^\/(healthz|readyz|api\/v1\/docs(\/|$)|api\/v1\/openapi\.json$|graphql\/possible-types\.json$|graphql\/graphiql\/)/;
/** How long a start waits for Redis before serving with limits open (a warning says so). */
const redisConnectWaitMs = 3000;
const bucketOf = Symbol('rateLimitBucket');
/**
 * A signed URL of an asset's bytes (src/domain/files/signing.ts): a page of `<img>` fetches many at
 * once with no key, so they count per IP in a bucket of their own, at the per-key rate. The route
 * checks the signature before it reads anything, and counts a failed one against the IP's keyless
 * budget too (spendKeylessBudget), so a forged `sig` gains no tries over none.
 */
const signedAssetUrl = /^\/api\/v1\/assets\/[^/?]+\/(image|download|thumbnail)\?(.*&)?sig=/;
type BucketedRequest = FastifyRequest & { [bucketOf]?: string };

/**
 * Who may call, decided in `onRequest` — before any body is read — for every route:
 *
 * 1. The API key is verified (from the authenticator's cache when it can be). /graphql answers
 *    401 at once without a valid key (only GraphiQL's page is served without one); /api/v1
 *    answers its 401 in its own routes.
 * 2. Rate limits (`@fastify/rate-limit`'s counters, in Redis when `REDIS_URL` is set so that
 *    every gateway process counts together): RATE_LIMIT_PER_MINUTE per API key, and
 *    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE per client IP for calls without a valid key. A key
 *    not yet verified is checked against its IP's budget before the database is asked, and a
 *    failed check is counted there, so guessing keys costs the guesser, not the database.
 *
 * Answers carry the IETF draft headers RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
 * (seconds), and a 429 also Retry-After, in the face's error shape.
 */
export async function addAccessControl(app: FastifyInstance, config: Config, authenticate: Authenticate) {
  app.decorateRequest('principal', null);
  const limitsOn = config.rateLimitPerMinute > 0;
  const redis = config.redisUrl ? await connectRedis(app, config) : undefined;
  if (limitsOn) {
    await app.register(rateLimit, { global: false, redis, nameSpace: `${config.redisKeyPrefix}rate:`, skipOnError: true });
  }
  const limiter = limitsOn
    ? app.createRateLimit({
        keyGenerator: (req) => (req as BucketedRequest)[bucketOf]!,
        max: async (_req, bucket) => (/^(key|signed):/.test(String(bucket)) ? config.rateLimitPerMinute : config.rateLimitUnauthenticatedPerMinute),
        timeWindow: 60_000,
      })
    : null;

  /** Counts (or only reads) the request against a bucket; false once it has answered 429. */
  async function withinLimit(req: FastifyRequest, reply: FastifyReply, bucket: string, increment = true): Promise<boolean> {
    if (!limiter) return true;
    (req as BucketedRequest)[bucketOf] = bucket;
    const state = await limiter(req, { increment });
    if (state.isAllowed) return true;
    const exceeded = increment ? state.isExceeded : state.remaining === 0 && state.ttl > 0;
    reply.header('ratelimit-limit', state.max);
    reply.header('ratelimit-remaining', state.remaining);
    reply.header('ratelimit-reset', state.ttlInSeconds);
    if (!exceeded) return true;
    rateLimitRefusals.inc({ bucket: bucket.startsWith('key:') ? 'key' : bucket.startsWith('signed:') ? 'signed' : 'ip' });
    reply.header('retry-after', state.ttlInSeconds);
    sendHttpError(req, reply, 429, `Rate limit of ${state.max} requests per minute exceeded; retry in ${state.ttlInSeconds} s`);
    return false;
  }

  app.decorateRequest('spendKeylessBudget', function (this: FastifyRequest, reply: FastifyReply) {
    return withinLimit(this, reply, `ip:${this.ip}`);
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS' || openPaths.test(req.url)) return;
    const ipBucket = `ip:${req.ip}`;
    const authorization = req.headers.authorization;
    let principal = authenticate.cached(authorization) ?? null;
    if (!principal && authorization) {
      if (!(await withinLimit(req, reply, ipBucket, false))) return reply;
      principal = await authenticate(authorization);
    }
    const bucket = principal ? `key:${principal.keyId}` : signedAssetUrl.test(req.url) ? `signed:${req.ip}` : ipBucket;
    if (!(await withinLimit(req, reply, bucket))) return reply;
    req.principal = principal;
    // A WebSocket's key comes in its first message (src/graphql/ws.ts): browsers cannot set headers on one.
    const webSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    if (!principal && isGraphQLRequest(req.url) && !wantsGraphiQL(req) && !webSocket) {
      reply.header('www-authenticate', 'Bearer');
      return sendHttpError(req, reply, 401, unauthenticatedMessage);
    }
  });
}

/**
 * Redis: the rate-limit counters, and revocations announced to every gateway process (each
 * forgets the key at once instead of after KEY_CACHE_TTL_MS). No offline queue: with Redis away
 * a rate-limit check fails at once and the limits fail open (skipOnError). So the app waits for
 * Redis before it serves (up to redisConnectWaitMs): otherwise the first requests after a start
 * would pass uncounted.
 */
async function connectRedis(app: FastifyInstance, config: Config): Promise<Redis> {
  // Loaded only when REDIS_URL is set.
  const { Redis } = await import('ioredis');
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const redis = traceCommands(new Redis(config.redisUrl!, options));
  const subscriber = new Redis(config.redisUrl!, options);
  const channel = `${config.redisKeyPrefix}keys:revoked`;
  let warned = false;
  const warn = (error: Error) => {
    redisErrors.inc();
    if (!warned)
      app.log.warn({ errorName: error.name }, 'Redis unavailable: rate limits are not enforced, revocations reach other processes within KEY_CACHE_TTL_MS');
    warned = true;
  };
  redis.on('error', warn);
  subscriber.on('error', warn);
  subscriber.on('ready', () => void subscriber.subscribe(channel).catch(warn));
  subscriber.on('message', (_channel, keyId) => keyRevocations.emit('revoked', keyId));
  const publish = (keyId: string) => void redis.publish(channel, keyId).catch(warn);
  keyRevocations.on('announced', publish);
  await Promise.race([once(redis, 'ready'), setTimeout(redisConnectWaitMs, undefined, { ref: false })]).catch(warn);
  app.addHook('onClose', async () => {
    keyRevocations.off('announced', publish);
    await Promise.all([redis.quit(), subscriber.quit()].map((closing) => closing.catch(() => {})));
  });
  return redis;
}

/**
 * While tracing is on, each command `redis` sends gets a span, `redis.<command>` (the rate-limit
 * script runs as `evalsha`). OpenTelemetry's ioredis instrumentation patches the module as it is
 * required, which an ES module import of it escapes; the client's one entry for commands is wrapped
 * instead.
 */
function traceCommands(redis: Redis): Redis {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) =>
    tracingOn() ? inSpan(`redis.${command.name}`, { 'db.system.name': 'redis' }, () => Promise.resolve(send(command, stream))) : send(command, stream);
  return redis;
}
