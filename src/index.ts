import cluster from 'node:cluster';
import { loadConfig, type Config } from './config.ts';

/**
 * The entry `npm start` runs. WEB_CONCURRENCY above 1 makes this process the primary of that many
 * gateway processes (./cluster.ts), which run this file again as workers; otherwise it serves
 * (./server.ts). Each side imports only its own code: the primary holds no database or app.
 */
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
if (config.webConcurrency > 1 && cluster.isPrimary) {
  const { runPrimary } = await import('./cluster.ts');
  runPrimary(config);
} else {
  const { serve } = await import('./server.ts');
  await serve(config);
}
