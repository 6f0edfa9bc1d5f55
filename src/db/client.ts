import { PrismaClient } from '../generated/prisma/client.ts';
import type { DatabaseEngine } from './engine.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Called with every SQL statement Prisma sends and its parameters as JSON (tests count them; bench/floor.mjs replays one). */
  onQuery?: (sql: string, params: string) => void;
}

export function createPrismaClient(engine: DatabaseEngine, options: DbOptions = {}): Db {
  if (!options.onQuery) return new PrismaClient({ adapter: engine.adapterFactory });
  const client = new PrismaClient({ adapter: engine.adapterFactory, log: [{ emit: 'event', level: 'query' }] });
  const onQuery = options.onQuery;
  client.$on('query', (event) => onQuery(event.query, event.params));
  return client;
}
