/** The start script's flags, with `${HEAP_LIMIT_MB:-128}` expanded to `heapLimitMb` (default '128'). */
export function npmStartNodeFlags(heapLimitMb?: string): string[];
