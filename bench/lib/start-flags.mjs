// The node flags `npm start` gives the server, read from package.json's start script, where alone
// they are written: for the benches (./servers.mjs) and the tests (test/helpers/process.ts) that
// start the server themselves. Plain JavaScript with node's own modules, so both can import it.
import { readFileSync } from 'node:fs';

/** The start script's flags, with `${HEAP_LIMIT_MB:-128}` expanded to `heapLimitMb`. */
export function npmStartNodeFlags(heapLimitMb = '128') {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const flags = /\bnode (.*) dist\/index\.js/.exec(scripts.start)?.[1];
  if (!flags) throw new Error(`package.json's start script does not run node … dist/index.js: ${scripts.start}`);
  return flags.replaceAll('${HEAP_LIMIT_MB:-128}', heapLimitMb).split(/\s+/);
}
