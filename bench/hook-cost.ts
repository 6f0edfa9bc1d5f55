// npx tsx bench/hook-cost.ts — CPU per request of apps that differ only in their rate-limit settings (in process, app.inject; noisy on a shared machine).
// In-process cost of the access hook: the same GET answered by apps that differ only in settings.
import { buildApp } from '../src/app.ts';
import { createApiKey } from '../src/auth/keys.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://', databasePoolSize: 4 });
const { key } = await createApiKey(database.db, { name: 'b', scopes: ['read:assets', 'write:assets'], workspace: 'bench-hook' });
const variants: Record<string, Record<string, string>> = {
  'limits off': { RATE_LIMIT_PER_MINUTE: '0' },
  'limits on (memory)': { RATE_LIMIT_PER_MINUTE: '100000000' },
  'limits on (Redis)': { RATE_LIMIT_PER_MINUTE: '100000000', REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'agw-bench:' },
};
const apps = Object.fromEntries(
  await Promise.all(
    Object.entries(variants).map(async ([n, env]) => [n, await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', ...env }), db: database.db })]),
  ),
);
const requests = {
  healthz: { method: 'GET', url: '/healthz' },
  'graphql {__typename}': {
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: '{"query":"{ __typename }"}',
  },
} as const;
const n = 3000;
for (let round = 0; round < 3; round++) {
  for (const [rname, req] of Object.entries(requests)) {
    for (const [name, app] of Object.entries(apps)) {
      for (let i = 0; i < 300; i++) await app.inject(req as never);
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) await app.inject(req as never);
      const used = process.cpuUsage(start);
      console.log(`round ${round} ${rname.padEnd(22)} ${name.padEnd(20)} ${((used.user + used.system) / n).toFixed(1)} µs CPU/request`);
    }
  }
}
for (const app of Object.values(apps)) await app.close();
await database.close();
