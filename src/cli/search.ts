import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createFiles } from '../domain/files/index.ts';
import { type BackfillProgress, backfillSearch } from '../domain/search-backfill.ts';
import { setSearchLanguage } from '../domain/search.ts';
import { parseCommandLine, progressLine, runCommand } from './run.ts';

const usage = `usage:
  npm run search:backfill [-- --all]
      index for content search the assets created before it: reads the stored file of every PDF and
      document whose text is not kept yet, then writes the search vector of every asset without one.
      Safe while the server serves (on PostgreSQL; the embedded database admits one process: stop the
      server first), and resumable: a run stopped halfway carries on where it stopped.
      --all  rewrite every asset's vector, after SEARCH_LANGUAGE changed
  npm run search:backfill -- --help
      this text`;

const values = parseCommandLine(usage, { all: { type: 'boolean' } } as const);

async function run() {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    await setSearchLanguage(database.db, config.searchLanguage);
    const progress = progressLine();
    const result = await backfillSearch(database.db, createFiles(config), {
      all: values.all,
      onProgress: (done: BackfillProgress, final = false) => {
        const what = done.phase === 'texts' ? 'Reading files' : 'Indexing assets';
        const unreadable = done.phase === 'texts' && done.unreadable ? ` (${done.unreadable} unreadable)` : '';
        progress.show(`${what}: ${done.done}/${done.total}${unreadable}`, final || done.done === done.total);
      },
    });
    progress.end();
    const unreadable = result.unreadable ? `, ${result.unreadable} of them unreadable (missing or corrupt: indexed without their text)` : '';
    console.log(`Done: ${result.texts} files read${unreadable}; ${result.vectors} assets indexed.`);
  } finally {
    await database.close();
  }
}

await runCommand(run);
