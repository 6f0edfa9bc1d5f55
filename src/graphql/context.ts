import type { Principal } from '../auth/keys.ts';
import type { Db } from '../db/client.ts';

/** What every resolver sees: the database and who is calling (null without a valid key). */
export interface Context {
  db: Db;
  principal: Principal | null;
}
