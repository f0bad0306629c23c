// The checks the crash-state explorer adds for compacted topics and transactions, shown to
// fail where they should: a compacted partition may lose a record only to a newer one of
// its key (or a tombstone, where the topic lets them go), never the newest; a read_committed
// view that serves an aborted transaction, or hides a committed one, is reported; and the
// recorded workload does clean its compacted topic and end transactions both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { encodeMarkerBatch } from '../../shared/kafka/control-batch.ts';
import { encodeRecordBatch, readBatchHeader, setBaseOffset } from '../../shared/kafka/record-batch.ts';
import { openStore, readAll, removeDirectory, temporaryDirectory } from '../edge/storage/helpers.ts';
import { judgeCompacted, recordsOf } from './compaction-check.ts';
import { KEEP_NONE, TraceIndex } from './crash-states.ts';
import { judge, recover } from './checker.ts';
import { statesRoot } from './materialise.ts';
import { observeTransactions, transactionsOf } from './transaction-check.ts';
import { COMPACTED_TOPIC, TRANSACTIONAL_TOPIC, recordWorkload } from './workload.ts';

const TIMESTAMP = 1_700_000_000_000n;

/** A batch of keyed records at `baseOffset`; a null value is a tombstone. */
function keyed(baseOffset: bigint, records: [string, string | null][]): Buffer {
  const batch = encodeRecordBatch({ records: records.map(([key, value]) => ({ key, value, timestampMs: TIMESTAMP })) });
  setBaseOffset(batch, 0, baseOffset);
  return batch;
}

test('a compacted partition may lose a record to a newer one of its key, never the newest of a key, nor change one', () => {
  const acknowledged = [keyed(0n, [['a', '1'], ['b', '1']]), keyed(2n, [['a', '2'], ['c', null]])];
  const all = recordsOf(acknowledged);
  const without = (...offsets: bigint[]) => new Map([...all].filter(([offset]) => !offsets.includes(offset)));
  assert.equal(judgeCompacted(all, acknowledged, 0n, { tombstonesRemovable: false }), [], 'nothing removed');
  assert.equal(judgeCompacted(without(0n), acknowledged, 0n, { tombstonesRemovable: false }), [], 'a shadowed by a newer a');
  assert.equal(judgeCompacted(without(2n), acknowledged, 0n, { tombstonesRemovable: false }), ['acknowledged record at 2 (key a), the newest of its key, is missing']);
  assert.equal(judgeCompacted(without(3n), acknowledged, 0n, { tombstonesRemovable: false }), ['acknowledged record at 3 (key c), the newest of its key, a tombstone the topic keeps, is missing']);
  assert.equal(judgeCompacted(without(3n), acknowledged, 0n, { tombstonesRemovable: true }), [], 'a tombstone past delete.retention.ms');
  const changed = new Map(all).set(1n, recordsOf([keyed(1n, [['b', 'other']])]).get(1n)!);
  assert.equal(judgeCompacted(changed, acknowledged, 0n, { tombstonesRemovable: false }), ['acknowledged record at 1 came back with other bytes']);
  assert.equal(judgeCompacted(without(0n, 1n, 2n), acknowledged, 3n, { tombstonesRemovable: false }), [], 'below the log start nothing is required');
});

test('read_committed must follow the markers in the log: an aborted transaction never served, a committed one whole, an open one held back by the last stable offset', async () => {
  const directory = temporaryDirectory();
  const store = await openStore(directory);
  try {
    await store.createTopic('t', { partitions: 1 });
    const log = store.partition('t', 0);
    const send = (producerId: bigint, sequence: number, count: number) => log.append(encodeRecordBatch({ producerId, producerEpoch: 0, baseSequence: sequence, isTransactional: true, records: Array.from({ length: count }, () => ({ value: 'v' })) }));
    await send(1n, 0, 2);
    await send(2n, 0, 1);
    await log.appendMarker({ producerId: 1n, producerEpoch: 0, marker: 'abort', coordinatorEpoch: 0 });
    await log.appendMarker({ producerId: 2n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
    await log.append(encodeRecordBatch({ records: [{ value: 'plain' }] }));
    await send(1n, 2, 1);
    const served = await readAll(store, 't', 0);
    assert.equal(transactionsOf(served.values()).map((transaction) => `${transaction.outcome} ${transaction.offsets.join(',')}`), ['abort 0,1', 'commit 2', 'open 6']);
    const problems: string[] = [];
    const visible = await observeTransactions(log, served, problems);
    assert.equal(problems, []);
    assert.equal([...visible!].sort(), [2n, 5n], 'the committed record and the plain one; the open transaction is past the last stable offset');
    // The same log, but the first marker said COMMIT: the store's aborted index no longer agrees with it.
    const [abortAt] = [...served].find(([, bytes]) => readBatchHeader(bytes).isControlBatch)!;
    const commitInstead = encodeMarkerBatch({ producerId: 1n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
    setBaseOffset(commitInstead, 0, abortAt);
    const rewritten: string[] = [];
    await observeTransactions(log, new Map(served).set(abortAt, commitInstead), rewritten);
    assert.equal(rewritten, ['read_committed is not given records 0, 1 of a transaction whose marker is COMMIT (from 0)']);
  } finally {
    await store.close();
    removeDirectory(directory);
  }
});

test('the workload cleans its compacted topic and ends transactions with both markers, and its last state passes every check', async () => {
  const recording = await recordWorkload({ rounds: 3 });
  const acknowledgedLedger = recording.entries.flatMap((entry) => (entry.kind === 'appended' && entry.topic === TRANSACTIONAL_TOPIC.name ? [entry.batch] : []));
  assert.equal([...new Set(transactionsOf(acknowledgedLedger).map((transaction) => transaction.outcome))].sort(), ['abort', 'commit']);
  const root = statesRoot();
  try {
    const state = new TraceIndex(recording).state(recording.entries.length, KEEP_NONE, 'none');
    const observation = await recover(recording, state, join(root, 'state'));
    assert.equal(judge(recording, observation, state.acknowledged), []);
    assert.ok(!('failed' in observation));
    const compacted = observation.partitions.get(`${COMPACTED_TOPIC.name}-0`)!;
    const acknowledgedRecords = recordsOf(recording.entries.flatMap((entry) => (entry.kind === 'appended' && entry.topic === COMPACTED_TOPIC.name ? [entry.batch] : [])));
    assert.ok(compacted.records!.size < acknowledgedRecords.size, `the cleaner removed shadowed records (${compacted.records!.size} of ${acknowledgedRecords.size} served)`);
    assert.ok(observation.partitions.get(`${TRANSACTIONAL_TOPIC.name}-0`)!.committedVisible !== undefined, 'the transactional partition was checked');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
