import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OffsetStore, type CommittedOffset } from '../../../../edge/kafka/groups/offset-store.ts';

const directories: string[] = [];
function databasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-'));
  directories.push(directory);
  return join(directory, 'meta', 'groups.sqlite');
}
test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const offset = (value: bigint, metadata = ''): CommittedOffset => ({ offset: value, leaderEpoch: 4, metadata, commitTimestampMs: 1_700_000_000_123n });

test('committed offsets, including 64-bit extremes, read back the same after reopening', async () => {
  const path = databasePath();
  const store = await OffsetStore.open(path);
  await store.commit('g', 'consumer', [
    { topic: 'readings', partition: 0, committed: offset(2n ** 63n - 1n, 'max') },
    { topic: 'readings', partition: 1, committed: offset(2n ** 53n + 1n) },
    { topic: 'alerts', partition: 0, committed: offset(-1n) },
  ]);
  await store.commit('g', 'consumer', [{ topic: 'alerts', partition: 0, committed: offset(5n) }]);
  await store.close();

  const reopened = await OffsetStore.open(path);
  assert.equal([...reopened.groups()], [['g', 'consumer']]);
  const offsets = reopened.offsetsOf('g')!;
  assert.equal(offsets.get('readings')!.get(0), offset(2n ** 63n - 1n, 'max'));
  assert.is(offsets.get('readings')!.get(1)!.offset, 2n ** 53n + 1n);
  assert.is(offsets.get('alerts')!.get(0)!.offset, 5n);
  await reopened.close();
});

test('concurrent commits are all durable once their promises resolve; the cache changes only then', async () => {
  const path = databasePath();
  const store = await OffsetStore.open(path);
  const commits = Array.from({ length: 300 }, (_, index) => store.commit(`group-${index % 7}`, 'consumer', [{ topic: 't', partition: index, committed: offset(BigInt(index)) }]));
  assert.not.ok(store.hasOffsets('group-0'), 'nothing is visible before it is durable');
  await Promise.all(commits);
  assert.is(store.offsetsOf('group-3')!.get('t')!.size, 43);
  await store.close();
  const reopened = await OffsetStore.open(path);
  let count = 0;
  for (const groupId of reopened.groups().keys()) count += reopened.offsetsOf(groupId)!.get('t')!.size;
  assert.is(count, 300);
  await reopened.close();
});

test('deleting a group removes its offsets durably', async () => {
  const path = databasePath();
  const store = await OffsetStore.open(path);
  await store.commit('keep', '', [{ topic: 't', partition: 0, committed: offset(1n) }]);
  await store.commit('drop', 'consumer', [{ topic: 't', partition: 0, committed: offset(1n) }]);
  await store.deleteGroup('drop');
  assert.not.ok(store.hasOffsets('drop'));
  await store.close();
  const reopened = await OffsetStore.open(path);
  assert.equal([...reopened.groups().keys()], ['keep']);
  await reopened.close();
});

test('invalid offsets are refused before they reach the disk', async () => {
  const store = await OffsetStore.open(databasePath());
  assert.throws(() => store.commit('g', '', [{ topic: 't', partition: -1, committed: offset(1n) }]), /int32 index/);
  assert.throws(() => store.commit('g', '', [{ topic: 't', partition: 0, committed: offset(2n ** 63n) }]), /int64/);
  await store.close();
});

test.run();
