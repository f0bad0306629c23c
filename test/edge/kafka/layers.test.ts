// The Kafka server's parts stay apart: no two of its files import each other, and the
// group coordinator is reached through coordinator.ts alone, so that its parts (membership,
// rebalancing, offsets, listing) can change, and new ones join them, without touching any
// importer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importsOf, mutualImports, sourceFiles } from '../../helpers/source-imports.ts';

const GROUPS = 'edge/kafka/groups/';
const GROUPS_ENTRY = 'edge/kafka/groups/coordinator.ts';

test('no two files of the Kafka server import each other', () => {
  const files = sourceFiles('edge/kafka');
  assert.ok(files.length > 30, `found ${files.length} files`);
  assert.equal(mutualImports(files), []);
});

test('the group coordinator is reached through coordinator.ts, which none of its parts import', () => {
  const sources = ['edge', 'mirror', 'cloud', 'shared', 'bin'].flatMap((folder) => sourceFiles(folder));
  const reachingIn = sources
    .filter((file) => !file.startsWith(GROUPS))
    .flatMap((file) => importsOf(file).filter((imported) => imported.startsWith(GROUPS) && imported !== GROUPS_ENTRY).map((imported) => `${file} -> ${imported}`));
  assert.equal(reachingIn, []);
  const upward = sourceFiles(GROUPS).filter((file) => importsOf(file).includes(GROUPS_ENTRY));
  assert.equal(upward, []);
});

test.run();
