import type { Principal } from '../auth/keys.ts';
import type { Db } from '../db/client.ts';
import type { Files } from '../domain/files/index.ts';
import { Loaders } from './loaders.ts';

/** What every resolver sees: the database, the file storage, who is calling (null without a valid key), and this request's loaders. */
export interface Context {
  db: Db;
  files: Files;
  principal: Principal | null;
  loaders: Loaders;
  /** SSE's `Last-Event-ID` header: where a resumed subscription without `after` starts. */
  lastEventId?: string;
}

/** A context per request: loaders batch within one request only, never across callers. */
export function createContext(db: Db, files: Files, principal: Principal | null, lastEventId?: string): Context {
  return { db, files, principal, loaders: new Loaders(), ...(lastEventId ? { lastEventId } : {}) };
}
