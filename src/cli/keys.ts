import { parseArgs } from 'node:util';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/keys.ts';
import { parseScopes } from '../auth/scopes.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';

const usage = `usage:
  npm run keys -- create --name <name> --scopes read:assets,write:assets [--workspace <slug>]
  npm run keys -- list
  npm run keys -- revoke <prefix>`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, scopes: { type: 'string' }, workspace: { type: 'string' }, help: { type: 'boolean' } },
});
const [command, arg] = positionals;

function formatDate(date: Date | null) {
  return date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-';
}

async function run() {
  if (values.help || !command) {
    console.log(usage);
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command)) throw new Error(`unknown command "${command}"\n${usage}`);
  if (command === 'create' && !values.name) throw new Error(`--name is required\n${usage}`);
  if (command === 'create' && !values.scopes) throw new Error(`--scopes is required\n${usage}`);
  if (command === 'revoke' && !arg) throw new Error(`the key prefix is required\n${usage}`);

  // Applies the migrations itself, so keys can be made before the server has ever started.
  const database = await openDatabase(loadConfig());
  try {
    const db = database.db;
    if (command === 'create') {
      const { key, record, workspace } = await createApiKey(db, {
        name: values.name!,
        scopes: parseScopes(values.scopes!),
        workspace: values.workspace,
      });
      console.error(`Created key ${record.prefix} "${record.name}" in workspace ${workspace.slug} with ${record.scopes.join(', ')}.`);
      console.error('The key is shown once, on the next line:');
      console.log(key);
    } else if (command === 'list') {
      const keys = await listApiKeys(db);
      if (!keys.length) console.log('No keys yet.');
      const rows = keys.map((k) => [
        k.prefix,
        k.name,
        k.workspace.slug,
        k.scopes.join(','),
        formatDate(k.createdAt),
        formatDate(k.lastUsedAt),
        k.revokedAt ? `revoked ${formatDate(k.revokedAt)}` : k.expiresAt && k.expiresAt <= new Date() ? 'expired' : 'active',
      ]);
      if (rows.length) printTable(['PREFIX', 'NAME', 'WORKSPACE', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'], rows);
    } else {
      if (!(await revokeApiKey(db, arg!))) throw new Error(`no key with prefix ${arg}`);
      console.log(`Revoked ${arg}.`);
    }
  } finally {
    await database.close();
  }
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}

try {
  await run();
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
}
// The schema engine and the pg pool can hold timers for a while after closing; a CLI is done here.
process.exit();
