import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../src/auth/scopes.ts';
import { useTestApp } from '../helpers/app.ts';
import { runsOrSaysWhy } from '../helpers/skip.ts';

/**
 * docs/manage-api.md's examples run as a reader runs them: every `sh` block, top to bottom, in one
 * bash, with only the key and the server's address put in. Each command's answer must be the one
 * the doc prints below it, where `…` stands for any text, an id shortened to `e88b2686-…` for the
 * same id wherever the doc shows it again, and a time for any time.
 */
const run = promisify(execFile);
const t = useTestApp();
const doc = new URL('../../docs/manage-api.md', import.meta.url);
const hasJq = spawnSync('jq', ['--version']).status === 0;
const marker = '@@@ answered';

interface Example {
  command: string;
  /** What the doc prints below the command (a `# ` line), when it prints something. */
  answer?: string;
}

/** The commands of the doc's `sh` blocks, in order, each with the answer printed below it. */
function examples(markdown: string): Example[] {
  const found: Example[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let command: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('# ') && found.length && !command.length && found.at(-1)!.answer === undefined) found.at(-1)!.answer = line.slice(2);
      else if (line.trim() && !line.startsWith('#')) {
        command.push(line);
        if (!line.endsWith('\\')) {
          found.push({ command: command.join('\n') });
          command = [];
        }
      }
    }
  }
  return found;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

/** Checks an answer against the doc's text, and binds each shortened id to the id it stands for. */
function expectAnswer(actual: string, printed: string, ids: Map<string, string>) {
  const names: string[] = [];
  const pattern = printed
    .split(/([0-9a-f]{8}-…|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|\s*…\s*)/)
    .map((part, i) => {
      if (i % 2 === 0) return escapeRegExp(part);
      if (/^[0-9a-f]{8}-…$/.test(part)) {
        names.push(part);
        return `(${uuid})`;
      }
      return /^\d{4}-/.test(part) ? time : '.*?';
    })
    .join('');
  const match = new RegExp(`^${pattern}$`).exec(actual);
  expect(match, `answer:  ${actual}\nprinted: ${printed}`).not.toBeNull();
  names.forEach((name, i) => {
    const id = match![i + 1];
    if (!ids.has(name)) {
      expect([...ids.values()], `${name} stands for a second id`).not.toContain(id);
      ids.set(name, id);
    }
    expect(id, `${name} stands for the same id each time`).toBe(ids.get(name));
  });
}

let base: string;
let key: string;

beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1`;
  // The first key `npm start` prints has every scope.
  key = await t.newKey([...allScopes]);
});

describe('docs/manage-api.md', () => {
  it.runIf(runsOrSaysWhy(hasJq || process.env.CI === 'true', 'the examples of docs/manage-api.md', 'jq is not on PATH (apt-get install jq)'))(
    'runs top to bottom, each command answering what the doc prints',
    async () => {
      const found = examples(await readFile(doc, 'utf8'));
      expect(found.length, 'commands in the sh blocks').toBeGreaterThan(15);
      const [setKey, setBase, ...commands] = found;
      expect(setKey.command).toMatch(/^KEY=agk_…/);
      expect(setBase.command).toMatch(/^B=http:\/\/127\.0\.0\.1:4000\/api\/v1$/);
      // Nothing else to fill in by hand: each example uses only what an earlier one made.
      for (const { command } of commands) expect(command).not.toContain('…');
      expect(commands.every((example) => example.answer !== undefined)).toBe(true);
      expect(commands.some(({ command }) => command.includes('"asset_type": "collection"'))).toBe(true);

      const script = [
        'set -eu -o pipefail',
        'exec 2>&1', // `tee /dev/stderr` shows a create's answer: keep it in the order it came
        'curl() { command curl --silent --show-error "$@"; }',
        `KEY=${key}`,
        `B=${base}`,
        ...commands.flatMap(({ command }) => [command, `echo; echo '${marker}'`]),
      ].join('\n');
      // Through a pipe, as in a terminal: Node gives a child sockets, which /dev/stderr cannot open.
      const { stdout } = await run('bash', ['-o', 'pipefail', '-c', 'bash -c "$0" | cat', script]).catch((error: { message: string; stdout: string }) => {
        throw new Error(`${error.message.split('\n')[0]}; it printed:\n${error.stdout}`);
      });
      const answers = stdout.split(`\n${marker}\n`).map((answer) => answer.trim());
      expect(answers.pop()).toBe('');
      expect(answers).toHaveLength(commands.length);
      const ids = new Map<string, string>();
      for (const [i, { answer }] of commands.entries()) expectAnswer(answers[i], answer!, ids);
    },
  );
});
