// shared/kafka is built in layers, each importing only those below it, so that a change in
// an upper layer (a new API, a new frame rule) never reaches into the encodings under it,
// and no two files or folders import each other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importsOf, mutualImports, sourceFiles } from '../../helpers/source-imports.ts';

/** Each part of shared/kafka and the paths it may import, besides its own files. */
const ALLOWED: Record<string, readonly string[]> = {
  'shared/kafka/protocol/': ['shared/errors.ts'],
  'shared/kafka/compression/': ['shared/errors.ts', 'shared/kafka/protocol/'],
  'shared/kafka/apis/': ['shared/kafka/protocol/'],
  'shared/kafka/wire/': ['shared/errors.ts', 'shared/kafka/protocol/', 'shared/kafka/apis/'],
  // The client speaks the protocol through the codecs below it, and SCRAM through shared/auth.
  'shared/kafka/client/': ['shared/errors.ts', 'shared/version.ts', 'shared/auth/', 'shared/kafka/protocol/', 'shared/kafka/apis/', 'shared/kafka/wire/'],
};

function partOf(file: string): string {
  const part = Object.keys(ALLOWED).find((prefix) => file.startsWith(prefix));
  // Loose files at the root of shared/kafka (record batches, topic names, error mapping)
  // sit above the encodings and below nothing.
  return part ?? 'shared/kafka/';
}

test('every part of shared/kafka imports only the layers below it', () => {
  const files = sourceFiles('shared/kafka');
  assert.ok(files.length > 40, `found ${files.length} files`);
  const offending: string[] = [];
  for (const file of files) {
    const part = partOf(file);
    for (const imported of importsOf(file)) {
      if (imported.startsWith(part) && partOf(imported) === part) continue;
      const allowed = part === 'shared/kafka/'
        ? imported.startsWith('shared/') && !imported.startsWith('shared/kafka/apis/') && !imported.startsWith('shared/kafka/wire/')
        : ALLOWED[part]!.some((prefix) => imported.startsWith(prefix));
      if (!allowed) offending.push(`${file} -> ${imported}`);
    }
  }
  assert.equal(offending, []);
});

test('shared/ imports nothing from edge/, mirror/ or cloud/, and no two of its files import each other', () => {
  const files = sourceFiles('shared');
  const outward = files.flatMap((file) => importsOf(file).filter((imported) => !imported.startsWith('shared/')).map((imported) => `${file} -> ${imported}`));
  assert.equal(outward, []);
  assert.equal(mutualImports(files), []);
});

test.run();
