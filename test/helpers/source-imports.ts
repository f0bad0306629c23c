// The static imports of the project's TypeScript sources, as paths from the project root,
// for tests that hold parts of the tree to their layering. Only relative specifiers are
// followed: packages and node: modules are outside the tree.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

/** `import … from '…'`, `export … from '…'` and bare `import '…'`, across line breaks. */
const SPECIFIER_PATTERN = /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm;

/** Every .ts file under `folder` (a path from the project root), as paths from the root. */
export function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true })) {
    const path = posix.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found.sort();
}

/** `import type …` and `export type …`: erased before the code runs. */
const TYPE_ONLY_PATTERN = /^\s*(?:import|export)\s+type\s/;

/**
 * The project files `file` imports, as paths from the project root; with `runtimeOnly`,
 * only those it loads when it runs (not `import type`, which TypeScript erases).
 */
export function importsOf(file: string, options: { runtimeOnly?: boolean } = {}): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const imported: string[] = [];
  for (const match of text.matchAll(SPECIFIER_PATTERN)) {
    const specifier = match[1]!;
    if (options.runtimeOnly && TYPE_ONLY_PATTERN.test(match[0])) continue;
    if (!specifier.startsWith('.')) continue;
    imported.push(relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(file), specifier)).split('\\').join('/'));
  }
  return imported;
}

/** Pairs of files among `files` that import each other (at run time only, with `runtimeOnly`), each pair once. */
export function mutualImports(files: readonly string[], options: { runtimeOnly?: boolean } = {}): Array<[string, string]> {
  const imports = new Map(files.map((file) => [file, new Set(importsOf(file, options))]));
  const pairs: Array<[string, string]> = [];
  for (const [file, imported] of imports) {
    for (const other of imported) {
      if (file < other && imports.get(other)?.has(file)) pairs.push([file, other]);
    }
  }
  return pairs;
}
