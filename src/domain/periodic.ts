import type { Db } from '../db/client.ts';

/**
 * Claims this period of the periodic work `name` for the calling process: true when no process
 * sharing the database has started it within the last `periodMs`, less a tenth so that a timer
 * firing a little early does not skip a period. One statement on the database's clock: of two
 * processes claiming at once, the row's lock lets one in and shows the other its claim.
 */
export async function claimPeriod(db: Db, name: string, periodMs: number): Promise<boolean> {
  const claimed = await db.$queryRaw<unknown[]>`
    INSERT INTO periodic_runs (name, started_at) VALUES (${name}, statement_timestamp())
    ON CONFLICT (name) DO UPDATE SET started_at = EXCLUDED.started_at
    WHERE periodic_runs.started_at <= statement_timestamp() - ${(periodMs * 0.9) / 1000}::float8 * interval '1 second'
    RETURNING name`;
  return claimed.length > 0;
}
