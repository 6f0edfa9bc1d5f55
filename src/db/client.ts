import { PrismaClient } from '../generated/prisma/client.ts';
import type { DatabaseEngine } from './engine.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Called with every SQL statement Prisma sends (tests count them). */
  onQuery?: (sql: string) => void;
}

export function createPrismaClient(engine: DatabaseEngine, options: DbOptions = {}): Db {
  if (!options.onQuery) return new PrismaClient({ adapter: engine.adapterFactory });
  const client = new PrismaClient({ adapter: engine.adapterFactory, log: [{ emit: 'event', level: 'query' }] });
  const onQuery = options.onQuery;
  client.$on('query', (event) => onQuery(event.query));
  return client;
}
