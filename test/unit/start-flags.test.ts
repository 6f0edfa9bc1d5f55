import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { npmStartNodeFlags } from '../helpers/process.ts';

describe('the node flags npm start gives the server', () => {
  it("keep the young generation at Node 20's 16 MB semi-spaces, whatever a newer Node derives from the heap limit", () => {
    // Node 24 gave itself a 64 MB new space under the 128 MB heap limit: with the server's ~50 MB
    // alive, V8 then ran a full collection every ~60 ms under load and a get cost 6.4x the CPU
    // (bench/RESULTS.md, "Node 24 and the heap limit").
    const churn =
      "let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20000) keep = []; }" +
      "console.log(require('node:v8').getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size)";
    const flags = npmStartNodeFlags();
    expect(flags).toContain('--max-old-space-size=128');
    const newSpaceBytes = Number(execFileSync(process.execPath, [...flags, '-e', churn], { encoding: 'utf8' }));
    expect(newSpaceBytes).toBeGreaterThan(0);
    expect(newSpaceBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});
