/** GraphQL names are camelCase, REST names snake_case: `assetType` ↔ `asset_type`. */
export function toRestName(name: string): string {
  if (name === 'idempotencyKey') return 'Idempotency-Key'; // a header on REST, not a body field
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
