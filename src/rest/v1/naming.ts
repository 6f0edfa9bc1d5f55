/** GraphQL names are camelCase, REST names snake_case: `assetType` ↔ `asset_type`. */
export function toRestName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
