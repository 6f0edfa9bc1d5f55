import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/process.ts';

/** `@scope/name` or `name` of a bare specifier; null for relative paths, builtins and `#` imports. */
function packageOf(specifier: string): string | null {
  if (/^(\.|\/|#|node:)/.test(specifier) || builtinModules.includes(specifier.split('/')[0])) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every import in a TypeScript file: static (`import … from`, `export … from`), side-effect and dynamic. */
function importsOf(source: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)) {
    found.push({ specifier: match[3], typeOnly: Boolean(match[2]) });
  }
  for (const match of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ specifier: match[1], typeOnly: false });
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: match[1], typeOnly: false });
  return found;
}

describe('package.json', () => {
  it('declares every package src/ imports: runtime imports as dependencies, type-only ones at least as devDependencies', async () => {
    const manifest = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8'));
    const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
    const any = new Set([...runtime, ...Object.keys(manifest.devDependencies ?? {})]);
    const missing: string[] = [];
    const files = (await readdir(join(projectRoot, 'src'), { recursive: true })).filter((file) => file.endsWith('.ts'));
    for (const file of files) {
      for (const { specifier, typeOnly } of importsOf(await readFile(join(projectRoot, 'src', file), 'utf8'))) {
        const name = packageOf(specifier);
        if (name && !(typeOnly ? any : runtime).has(name)) missing.push(`${file}: ${name}${typeOnly ? ' (types)' : ''}`);
      }
    }
    expect(files.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
