import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock, Locker, RequestRelease } from '@tus/utils';
import type { Db } from '../../db/client.ts';

/** A lease lasts this long unless renewed; a holder renews it every third of that while its request runs. */
const leaseMs = 15_000;
/** How often a request waiting for a lease held elsewhere asks again, and for how long at most. */
const pollMs = 100;
const acquireTimeoutMs = 30_000;

/**
 * tus's lock of an upload (one request at a time writes to it, and a HEAD waits for the write in
 * progress to end), across every gateway process: `local` (tus's MemoryLocker) orders the
 * requests of this process and asks the one holding the lock here to let go; a lease row in
 * `upload_locks` then orders the processes. A request cut on one process holds its lease until
 * what it received is stored, so that a resume on another process reads the final offset.
 */
/** `lockTimeout` is what a request that waited too long fails with (tus's ERR_LOCK_TIMEOUT, a status and a body). */
export function uploadLocker(db: Db, local: Locker, lockTimeout: () => unknown): Locker {
  const lease = `${leaseMs} milliseconds`;
  return {
    newLock(id: string): Lock {
      const inProcess = local.newLock(id);
      const holder = randomUUID();
      let renewal: NodeJS.Timeout | undefined;
      const take = async () =>
        (
          await db.$queryRaw<unknown[]>`
            INSERT INTO upload_locks (id, holder, expires_at) VALUES (${id}, ${holder}::uuid, now() + ${lease}::interval)
            ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE upload_locks.expires_at < now()
            RETURNING holder`
        ).length === 1;
      return {
        async lock(signal: AbortSignal, requestRelease: RequestRelease) {
          await inProcess.lock(signal, requestRelease);
          try {
            const deadline = Date.now() + acquireTimeoutMs;
            while (!(await take())) {
              if (signal.aborted || Date.now() > deadline) throw lockTimeout();
              await sleep(pollMs);
            }
          } catch (error) {
            await inProcess.unlock();
            throw error;
          }
          renewal = setInterval(() => {
            void db.$executeRaw`UPDATE upload_locks SET expires_at = now() + ${lease}::interval WHERE id = ${id} AND holder = ${holder}::uuid`.catch(() => {});
          }, leaseMs / 3);
          renewal.unref();
        },
        async unlock() {
          clearInterval(renewal);
          try {
            await db.$executeRaw`DELETE FROM upload_locks WHERE id = ${id} AND holder = ${holder}::uuid`;
          } finally {
            await inProcess.unlock();
          }
        },
      };
    },
  };
}
