// Corpus folders: one input per file, named by its SHA-1 (or, for seeds, by what it is).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Inputs of every file in `directories` (missing folders are skipped), each cut to `inputBytesMax`, duplicates dropped. */
export function readCorpus(directories: readonly string[], inputBytesMax: number): Buffer[] {
  const inputs: Buffer[] = [];
  const seen = new Set<string>();
  for (const directory of directories) {
    if (!existsSync(directory)) continue;
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (!statSync(path).isFile() || name.startsWith('.') || name.endsWith('.md')) continue;
      const input = readFileSync(path).subarray(0, inputBytesMax);
      const key = input.toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      inputs.push(input);
    }
  }
  return inputs;
}
