import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * Runs a command of the CLI: an error is one line (`error: …`) and exit code 1, never a stack trace.
 * The process then exits: the schema engine and the pg pool can hold timers for a while after
 * closing, and a CLI is done here.
 */
export async function runCommand(command: () => Promise<void>): Promise<never> {
  try {
    await command();
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
  process.exit();
}

/**
 * A long command's progress on stderr: at most a line a second (the last one always), rewritten in
 * place on a terminal, one line each otherwise. `end()` finishes the terminal's line.
 */
export function progressLine() {
  let lastLine = '';
  let lastAt = 0;
  return {
    show(line: string, last = false) {
      const now = Date.now();
      if ((!last && now - lastAt < 1000) || line === lastLine) return;
      lastAt = now;
      lastLine = line;
      if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      else console.error(line);
    },
    end() {
      if (process.stderr.isTTY && lastLine) process.stderr.write('\n');
    },
  };
}

/**
 * A command's options, parsed strictly: an unknown or malformed one is one line and the usage, exit
 * code 1; `--help` prints the usage and exits 0. Every command takes `--help`.
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O) {
  let parsed: { values: Record<string, unknown> };
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean' } }, allowPositionals: false });
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${usage}`);
    process.exit(1);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
}
