import { Redis } from 'ioredis';

/** The Redis the tests that need one use (`.ci/run` starts it; TEST_REDIS_URL to use another). */
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers at redisUrl; under CI=true it must. */
export async function redisAnswers(): Promise<boolean> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let answers = false;
  try {
    await client.connect();
    answers = (await client.ping()) === 'PONG';
  } catch {
    answers = false;
  } finally {
    client.disconnect();
  }
  if (!answers && process.env.CI === 'true') throw new Error(`Redis does not answer at ${redisUrl}; .ci/run starts it`);
  return answers;
}
