import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

/** The variables loadConfig reads, seen through an environment that records every name asked for. */
function variablesRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...read].sort();
}

/** Each setting refused in one line holding `message`, never repeating a URL's password. */
function expectRefused(refusals: [NodeJS.ProcessEnv, string][]) {
  for (const [env, message] of refusals) {
    let error: Error | undefined;
    try {
      loadConfig(env);
    } catch (thrown) {
      error = thrown as Error;
    }
    expect({ env, message: error?.message }).toEqual({ env, message: expect.stringContaining(message) });
    expect(error!.message).not.toContain('\n');
    // URLs carry passwords: their values are never repeated.
    expect(error!.message).not.toContain('secret');
  }
}

describe('configuration from the environment', () => {
  it('has a documented default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      logLevel: 'info',
      bodyLimit: 1048576,
      maxQueryDepth: 10,
      maxQueryCost: 25000,
      maxQueryAliases: 15,
      databasePoolSize: 10,
      keyCacheTtlMs: 10000,
      graphqlJsonFastPath: true,
      connectionTimeoutMs: 60000,
      shutdownGraceMs: 25000,
    });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('reads numbers, switches, hosts and URLs', () => {
    expect(loadConfig({ PORT: '8080', GRAPHQL_JSON_FAST_PATH: 'false' })).toMatchObject({ port: 8080, graphqlJsonFastPath: false });
    expect(loadConfig({ GRAPHQL_JSON_FAST_PATH: '1' }).graphqlJsonFastPath).toBe(true);
    for (const host of ['0.0.0.0', '::', '::1', 'localhost', 'gateway.internal', 'my-host']) expect(loadConfig({ HOST: host }).host).toBe(host);
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/assets' }).databaseUrl).toBe('postgres://u:p@db:5432/assets');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/assets' }).databaseUrl).toBe('postgresql://db/assets');
    expect(loadConfig({ REDIS_URL: 'rediss://:p@cache:6380/2' }).redisUrl).toBe('rediss://:p@cache:6380/2');
    expect(loadConfig({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(loadConfig({ PORT: '65535', BODY_TIMEOUT_MS: '0' })).toMatchObject({ port: 65535, bodyTimeoutMs: 0 });
  });

  it('refuses a value out of its range, in one line naming the variable', () => {
    const refusals: [Record<string, string>, string][] = [
      [{ PORT: 'eighty' }, 'PORT must be an integer from 1 to 65535, got "eighty"'],
      [{ PORT: '99999' }, 'PORT must be an integer from 1 to 65535, got "99999"'],
      [{ PORT: '0' }, 'PORT must be an integer from 1 to 65535, got "0"'],
      [{ PORT: '80.5' }, 'PORT must be an integer from 1 to 65535, got "80.5"'],
      [{ MAX_QUERY_DEPTH: '-1' }, 'MAX_QUERY_DEPTH must be an integer from 0 to'],
      [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be an integer from 1 to'],
      // Node's timers hold at most 2^31-1 ms; a longer one would fire at once.
      [{ BODY_TIMEOUT_MS: '3000000000' }, 'BODY_TIMEOUT_MS must be an integer from 0 to 2147483647, got "3000000000"'],
      [{ EXTRACT_MEMORY_MB: '8' }, 'EXTRACT_MEMORY_MB must be an integer from 16 to'],
      [{ GRAPHQL_JSON_FAST_PATH: 'yes' }, 'GRAPHQL_JSON_FAST_PATH must be true or false, got "yes"'],
      [{ HOST: 'not a host' }, 'HOST must be an IP address or a host name, got "not a host"'],
      [{ HOST: 'example.com:80' }, 'HOST must be an IP address or a host name'],
      [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
      [{ DATABASE_URL: 'mysql://u:secret@db/assets' }, 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
      [{ DATABASE_URL: 'db:5432' }, 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
      [{ REDIS_URL: 'http://u:secret@cache' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
      [{ REDIS_URL: 'cache:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    ];
    expectRefused(refusals);
  });

  it('reads STORAGE_URL: local disk by default or a file: folder, a bucket and prefix for s3:', () => {
    expect(loadConfig({ DATA_DIR: '/srv/data' }).storage).toEqual({ kind: 'disk', root: '/srv/data/uploads' });
    expect(loadConfig({ STORAGE_URL: 'file:///srv/assets/' }).storage).toEqual({ kind: 'disk', root: '/srv/assets' });
    expect(loadConfig({ STORAGE_URL: 's3://acme-assets/prod/eu' }).storage).toEqual({
      kind: 's3',
      url: 's3://acme-assets/prod/eu',
      bucket: 'acme-assets',
      prefix: 'prod/eu/',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(loadConfig({ STORAGE_URL: 's3://assets/', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_REGION: 'auto', S3_FORCE_PATH_STYLE: 'true' }).storage).toEqual({
      kind: 's3',
      url: 's3://assets',
      bucket: 'assets',
      prefix: '',
      endpoint: 'http://127.0.0.1:9000',
      region: 'auto',
      forcePathStyle: true,
    });
  });

  it('refuses a STORAGE_URL or S3_* setting it cannot use, in one line naming the variable', () => {
    const refusals: [Record<string, string>, string][] = [
      [{ STORAGE_URL: 'ftp://files' }, 'STORAGE_URL must be file:///absolute/path or s3://bucket/prefix'],
      [{ STORAGE_URL: '/srv/assets' }, 'STORAGE_URL must be file:///absolute/path or s3://bucket/prefix'],
      [{ STORAGE_URL: 'file://host/srv/assets' }, 'STORAGE_URL must be file:///absolute/path or s3://bucket/prefix: a file: URL has no host'],
      [{ STORAGE_URL: 'file:///' }, 'STORAGE_URL must be file:///absolute/path or s3://bucket/prefix: give a folder other than /'],
      [{ STORAGE_URL: 's3://AKIA:secret@bucket/x' }, "credentials come from the AWS SDK's chain"],
      [{ STORAGE_URL: 's3://Bad_Bucket/x' }, 'the bucket name must be 3-63 lower-case letters'],
      [{ STORAGE_URL: 's3://ab' }, 'the bucket name must be 3-63 lower-case letters'],
      [{ STORAGE_URL: 's3://bucket/a//b' }, 'the prefix may hold letters, digits'],
      [{ STORAGE_URL: 's3://bucket/a b' }, 'the prefix may hold letters, digits'],
      [{ STORAGE_URL: 's3://bucket', S3_ENDPOINT: 'minio:9000' }, 'S3_ENDPOINT must be a http:// or https:// URL'],
      [{ STORAGE_URL: 's3://bucket', S3_REGION: 'EU West' }, 'S3_REGION must be an AWS region name'],
      [{ STORAGE_URL: 's3://bucket', S3_FORCE_PATH_STYLE: 'yes' }, 'S3_FORCE_PATH_STYLE must be true or false, got "yes"'],
      [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }, 'S3_ENDPOINT is set, but STORAGE_URL is not an s3:// URL'],
      [{ STORAGE_URL: 'file:///srv/assets', S3_REGION: 'eu-west-1' }, 'S3_REGION is set, but STORAGE_URL is not an s3:// URL'],
    ];
    expectRefused(refusals);
  });

  it('refuses every variable set to an empty string instead of quietly using its default', () => {
    const names = variablesRead();
    expect(names).toContain('PORT');
    for (const name of names) expect(() => loadConfig({ [name]: '' })).toThrow(`${name} is set but empty`);
  });

  it('reads exactly the variables of the README configuration table (but those of npm start)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    const readByNpmStart = ['HEAP_LIMIT_MB', 'NODE_ENV'];
    expect(variablesRead()).toEqual(documented.filter((name) => !readByNpmStart.includes(name)).sort());
  });
});
