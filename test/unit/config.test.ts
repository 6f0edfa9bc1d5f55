import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

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
    });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('reads numbers and switches, and names the variable it refuses', () => {
    expect(loadConfig({ PORT: '8080', GRAPHQL_JSON_FAST_PATH: 'false' })).toMatchObject({ port: 8080, graphqlJsonFastPath: false });
    expect(loadConfig({ GRAPHQL_JSON_FAST_PATH: '1' }).graphqlJsonFastPath).toBe(true);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('PORT must be a non-negative integer, got "eighty"');
    expect(() => loadConfig({ MAX_QUERY_DEPTH: '-1' })).toThrow('MAX_QUERY_DEPTH must be a non-negative integer');
    expect(() => loadConfig({ GRAPHQL_JSON_FAST_PATH: 'yes' })).toThrow('GRAPHQL_JSON_FAST_PATH must be true or false, got "yes"');
  });
});
