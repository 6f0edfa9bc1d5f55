/**
 * At most `size` holders at once; the others wait their turn in order. `onChange` hears the counts
 * after each change (the gauges of src/metrics.ts). Used for the parsing workers (./extract.ts),
 * the renders (./renditions.ts) and the local copies of stored files (./storage/s3.ts).
 */
export function slots(size: number, onChange: (running: number, waiting: number) => void = () => {}) {
  let busy = 0;
  const waiting: (() => void)[] = [];
  const changed = () => onChange(busy, waiting.length);
  return {
    /** How many hold a slot now. */
    get running() {
      return busy;
    },
    /** How many wait for a slot now. */
    get waiting() {
      return waiting.length;
    },
    async acquire() {
      if (busy < size) busy++;
      else
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          changed();
        });
      changed();
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else busy--;
      changed();
    },
  };
}
