import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createFiles } from '../domain/files/index.ts';
import { backfillPlaceholders, type PlaceholderProgress } from '../domain/files/placeholder-backfill.ts';
import { parseCommandLine, progressLine, runCommand } from './run.ts';

const usage = `usage:
  npm run images:backfill
      gives a placeholder (ThumbHash and dominant colour) to the image and PDF assets created before
      placeholders were read, from their stored thumbnails. Safe while the server serves (on
      PostgreSQL; the embedded database admits one process: stop the server first), and resumable:
      a run stopped halfway carries on with the assets still without one.
  npm run images:backfill -- --help
      this text`;

const values = parseCommandLine(usage, {} as const);

async function run() {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const progress = progressLine();
    const result = await backfillPlaceholders(database.db, createFiles(config), (done: PlaceholderProgress) => {
      const unreadable = done.unreadable ? ` (${done.unreadable} unreadable)` : '';
      progress.show(`Reading thumbnails: ${done.done}/${done.total}${unreadable}`, done.done === done.total);
    });
    progress.end();
    const unreadable = result.unreadable ? `, ${result.unreadable} thumbnails unreadable (missing or corrupt: left without one)` : '';
    console.log(`Done: ${result.done - result.unreadable} placeholders written${unreadable}.`);
  } finally {
    await database.close();
  }
}

await runCommand(run);
