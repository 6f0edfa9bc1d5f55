/**
 * Says on the console why a test is skipped: vitest's report shows only that it was. Returns
 * whether the test runs, for `it.runIf` / `describe.runIf`.
 */
export function runsOrSaysWhy(runs: boolean, test: string, why: string): boolean {
  if (!runs) console.warn(`skipped: ${test}: ${why}`);
  return runs;
}
