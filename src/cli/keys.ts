import { parseArgs } from 'node:util';
import { createApiKey, defaultWorkspaceSlug, listApiKeys, revokeApiKey } from '../auth/keys.ts';
import { allScopes, parseScopes } from '../auth/scopes.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { runCommand } from './run.ts';

const usage = `usage:
  npm run keys -- create --name <name> --scopes <scope,…> [--workspace <slug>]
      make a key; it is shown once, alone on the last line of stdout. --workspace is the slug of
      the key's workspace, created if it does not exist (without it: "${defaultWorkspaceSlug}", the first key's)
  npm run keys -- list
      every key: prefix, name, workspace, scopes, created, last used, status; never a secret
  npm run keys -- revoke <prefix>
      revoke the key with this prefix (agk_ and 12 characters, as list shows it)
  npm run keys -- --help
      this text

scopes: ${allScopes.join(', ')}`;

const options = { name: { type: 'string' }, scopes: { type: 'string' }, workspace: { type: 'string' }, help: { type: 'boolean' } } as const;
let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: typeof options }>>;
try {
  parsed = parseArgs({ allowPositionals: true, options });
} catch (error) {
  // An unknown or malformed option: say which, then how to call it, without a stack trace.
  console.error(`error: ${(error as Error).message}\n${usage}`);
  process.exit(1);
}
const { positionals, values } = parsed;
const [command, arg] = positionals;

function formatDate(date: Date | null) {
  return date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-';
}

async function run() {
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!command) throw new Error(`a command is required\n${usage}`);
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

await runCommand(run);
