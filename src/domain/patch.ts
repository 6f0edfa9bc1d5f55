/**
 * A partial update laid over the current values: a field that is absent (or undefined) keeps
 * its value, a field sent as null clears it. The result goes through the create rules again.
 */
export function applyPatch<T extends object>(current: T, patch: Partial<T>): T {
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}
