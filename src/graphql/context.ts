import type { Principal } from '../auth/keys.ts';
import type { Db } from '../db/client.ts';
import type { Files } from '../domain/files/index.ts';

/** What every resolver sees: the database, the file storage and who is calling (null without a valid key). */
export interface Context {
  db: Db;
  files: Files;
  principal: Principal | null;
}
