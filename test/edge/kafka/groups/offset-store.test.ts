import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OffsetStore, type CommittedOffset } from '../../../../edge/kafka/groups/offset-store.ts';
import type { GroupSnapshot } from '../../../../edge/kafka/groups/group-snapshot.ts';
import { Database } from '../../../../shared/sqlite.ts';

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

const snapshot = (generationId: number, memberIds: string[]): GroupSnapshot => ({
  groupId: 'members',
  protocolType: 'consumer',
  protocolName: memberIds.length === 0 ? null : 'range',
  generationId,
  leaderId: memberIds[0] ?? null,
  rebalancePending: false,
  members: memberIds.map((memberId, index) => ({
    memberId,
    groupInstanceId: index === 0 ? 'instance-0' : null,
    clientId: 'app',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 300_000,
    sessionTimeoutMs: 45_000,
    subscription: Buffer.from([0, 1, index]),
    assignment: Buffer.from(`assignment-${memberId}`),
  })),
});

test('a group\'s membership reads back the same after reopening; a newer state replaces it, forgetting drops it', async () => {
  const path = databasePath();
  const store = await OffsetStore.open(path);
  // Three states of one group in a row: one write holds the last, and every caller hears of it.
  await Promise.all([store.storeMembership('members', snapshot(1, ['a'])), store.storeMembership('members', snapshot(2, ['a', 'b'])), store.storeMembership('members', snapshot(3, ['b', 'c']))]);
  await store.close();
  const reopened = await OffsetStore.open(path);
  assert.equal(reopened.takeLoadedSnapshots(), [snapshot(3, ['b', 'c'])]);
  assert.equal(reopened.takeLoadedSnapshots(), [], 'handed over once');
  await reopened.storeMembership('members', undefined);
  await reopened.close();
  const again = await OffsetStore.open(path);
  assert.equal(again.takeLoadedSnapshots(), []);
  await again.close();
});

test('a database of version 1 (offsets only) opens with its offsets and is migrated to version 2', async () => {
  const path = databasePath();
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(path), { recursive: true });
  // The schema as version 1 wrote it.
  const old = await Database.open(path);
  await old.exec(`
    CREATE TABLE consumer_groups (group_id TEXT PRIMARY KEY, protocol_type TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE committed_offsets (
      group_id TEXT NOT NULL REFERENCES consumer_groups (group_id) ON DELETE CASCADE, topic TEXT NOT NULL, partition_index INTEGER NOT NULL,
      committed_offset INTEGER NOT NULL, leader_epoch INTEGER NOT NULL, metadata TEXT NOT NULL, commit_timestamp_ms INTEGER NOT NULL,
      PRIMARY KEY (group_id, topic, partition_index)) WITHOUT ROWID;
    INSERT INTO consumer_groups VALUES ('old', 'consumer');
    INSERT INTO committed_offsets VALUES ('old', 't', 0, 77, 2, 'kept', 1700000000000);
    PRAGMA user_version = 1;`);
  await old.close();
  const store = await OffsetStore.open(path);
  assert.is(store.offsetsOf('old')!.get('t')!.get(0)!.offset, 77n);
  await store.storeMembership('members', snapshot(1, ['a']));
  await store.close();
  const check = await Database.open(path);
  assert.equal(await check.get('PRAGMA user_version'), { user_version: 2 });
  await check.close();
});

test('a database of a newer version is refused with an error naming it, not opened', async () => {
  const path = databasePath();
  const store = await OffsetStore.open(path);
  await store.close();
  const newer = await Database.open(path);
  await newer.exec('PRAGMA user_version = 9');
  await newer.close();
  try {
    await OffsetStore.open(path);
    assert.unreachable('a newer schema was opened');
  } catch (error) {
    assert.match(String(error), /schema version 9, newer than this version of Tributary reads \(2\)/);
    assert.match(String(error), path);
  }
});

test.run();
