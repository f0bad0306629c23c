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

/** The project files `file` imports, as paths from the project root. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const imported: string[] = [];
  for (const match of text.matchAll(SPECIFIER_PATTERN)) {
    const specifier = match[1]!;
    if (!specifier.startsWith('.')) continue;
    imported.push(relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(file), specifier)).split('\\').join('/'));
  }
  return imported;
}

/** Pairs of files among `files` that import each other, each pair once. */
export function mutualImports(files: readonly string[]): Array<[string, string]> {
  const imports = new Map(files.map((file) => [file, new Set(importsOf(file))]));
  const pairs: Array<[string, string]> = [];
  for (const [file, imported] of imports) {
    for (const other of imported) {
      if (file < other && imports.get(other)?.has(file)) pairs.push([file, other]);
    }
  }
  return pairs;
}
