// librdkafka (python3-confluent-kafka, Debian) transactions against the real daemon:
// commit and abort as read_committed and read_uncommitted consumers see them, a zombie
// fenced by a new instance of its transactional id, and a consume-transform-produce loop
// with send_offsets_to_transaction killed (SIGKILL) in the middle of a transaction, after
// which a new instance finishes the work with every input in the output exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import { RunningScenario, runScenario } from './support/librdkafka.ts';
import { RawKafkaConnection } from '../clients/support/raw-kafka.ts';

const DESCRIBE_PRODUCERS = 61;
const LIST_OFFSETS = 2;

let daemon: Daemon;
let bootstrap: string;

test.before(async () => {
  daemon = await Daemon.start({ config: { topics: { defaults: { partitions: 1 } } } });
  bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
});

test.after(async () => {
  await daemon?.cleanup();
});

test('committed transactions are read by read_committed consumers; aborted ones only by read_uncommitted ones', async () => {
  assert.equal(await runScenario(bootstrap, 'produce', 'outcomes', 'tx-outcomes', 'COMMIT', '3', 'kept'), { done: 'commit', count: 3 });
  assert.equal(await runScenario(bootstrap, 'produce', 'outcomes', 'tx-outcomes', 'ABORT', '3', 'dropped'), { done: 'abort', count: 3 });
  assert.equal(await runScenario(bootstrap, 'produce', 'outcomes', 'tx-outcomes', 'COMMIT', '2', 'later'), { done: 'commit', count: 2 });
  const committed = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'outcomes', 'read_committed', '5');
  assert.equal(committed.values, ['kept-0', 'kept-1', 'kept-2', 'later-0', 'later-1']);
  const everything = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'outcomes', 'read_uncommitted', '8');
  assert.equal(everything.values, ['kept-0', 'kept-1', 'kept-2', 'dropped-0', 'dropped-1', 'dropped-2', 'later-0', 'later-1']);
});

test('a new instance of a transactional id fences the old one: its open transaction is aborted and it can no longer commit', async () => {
  const result = await runScenario<{ fenced: { fatal: boolean; name: string } | null }>(bootstrap, 'fence', 'fencing', 'tx-fencing');
  assert.ok(result.fenced !== null, 'the zombie could not commit');
  assert.equal(result.fenced, { fatal: true, name: '_FENCED' });
  const committed = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'fencing', 'read_committed', '1');
  assert.equal(committed.values, ['successor-0'], 'only the successor\'s transaction is visible');
});

test('consume-transform-produce with send_offsets_to_transaction, killed mid-transaction and restarted, outputs every input exactly once', async () => {
  const inputs = 200;
  assert.equal(await runScenario(bootstrap, 'seed', 'ctp-in', String(inputs)), { seeded: inputs });
  // Ten records a transaction, each record slowed, so that the kill lands inside one.
  const first = new RunningScenario(bootstrap, 'transform', ['ctp-in', 'ctp-out', 'ctp-group', 'tx-ctp', '10', '0.02']);
  try {
    await first.waitFor((line) => Number(line.committed) >= 3, 'three committed transactions');
  } finally {
    await first.kill();
  }
  const second = await runScenario<{ transactions: number }>(bootstrap, 'transform', 'ctp-in', 'ctp-out', 'ctp-group', 'tx-ctp', '10');
  assert.ok(second.transactions >= 1, 'the second instance took over the rest');
  const output = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'ctp-out', 'read_committed', String(inputs));
  const expected = Array.from({ length: inputs }, (_, index) => `IN-${index}`);
  assert.equal([...output.values].sort(), [...expected].sort(), 'every input exactly once');
  const uncommitted = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'ctp-out', 'read_uncommitted', String(inputs));
  assert.ok(uncommitted.values.length >= inputs, 'read_uncommitted sees the output, and any aborted attempt too');
});

test('an open transaction holds the last stable offset: ListOffsets per isolation level, and DescribeProducers shows where it started', async () => {
  assert.equal(await runScenario(bootstrap, 'produce', 'hanging', 'tx-before', 'COMMIT', '2', 'before'), { done: 'commit', count: 2 });
  const open = new RunningScenario(bootstrap, 'open', ['hanging', 'tx-hanging', '3']);
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    await open.waitFor((line) => line.open === 3, 'the open transaction\'s records written');
    const latest = async (isolationLevel: number): Promise<bigint> => {
      const answer = await connection.request(LIST_OFFSETS, 5, { replicaId: -1, isolationLevel, timeoutMs: 0, topics: [{ name: 'hanging', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
      return answer.topics[0]!.partitions[0]!.offset;
    };
    // Offsets: before 0-1, its commit marker 2, the open transaction from 3.
    assert.is(await latest(1), 3n, 'read_committed: the last stable offset');
    assert.is(await latest(0), 6n, 'read_uncommitted: the high watermark');
    const described = await connection.request(DESCRIBE_PRODUCERS, 0, { topics: [{ name: 'hanging', partitionIndexes: [0] }] });
    const starts = described.topics[0]!.partitions[0]!.activeProducers.map((producer) => producer.currentTxnStartOffset).sort();
    assert.equal(starts, [-1n, 3n], 'the committed producer has none open; the other\'s started at 3');
  } finally {
    await connection.close();
    await open.kill();
  }
});

test.run();
