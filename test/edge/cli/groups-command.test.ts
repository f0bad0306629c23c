// `tributary groups` against a real edge daemon: lag per partition is the log end offset
// minus the committed offset. Offsets are committed by kafkajs (a client that shares no
// code with the command) and by `tributary consume --group`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { lines, runCli } from './run-cli.ts';
import type { GroupDescriptionJson } from '../../../edge/cli/groups-command.ts';

let daemon: Daemon;
let bootstrap: string;

test.before(async () => {
  // Members join at once instead of waiting for others (Kafka's group.initial.rebalance.delay.ms).
  daemon = await Daemon.start({ config: { kafka: { groupInitialRebalanceDelayMs: 0 } } });
  bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
  // Partition 0 holds 6 records, partition 1 holds 4.
  const kafka = kafkajsClient(daemon.ports.kafka!, 'groups-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'meter', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'meter', messages: [...Array.from({ length: 6 }, (_, index) => ({ partition: 0, value: `a${index}` })), ...Array.from({ length: 4 }, (_, index) => ({ partition: 1, value: `b${index}` }))] });
  await producer.disconnect();
});

test.after(async () => {
  await daemon.cleanup();
});

async function describe(group: string): Promise<GroupDescriptionJson> {
  const result = await runCli(['groups', 'describe', '--group', group, '--json', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as GroupDescriptionJson;
}

test('describe shows lag per partition: log end minus committed', async () => {
  const admin = kafkajsClient(daemon.ports.kafka!, 'groups-test').admin();
  await admin.connect();
  await admin.setOffsets({ groupId: 'billing', topic: 'meter', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '4' }] });
  await admin.disconnect();

  const description = await describe('billing');
  assert.is(description.state, 'Empty');
  assert.equal(description.partitions.map((entry) => [entry.partition, entry.committedOffset, entry.logEndOffset, entry.lag]), [[0, '2', '6', '4'], [1, '4', '4', '0']]);
  assert.is(description.totalLag, '4');

  const text = await runCli(['groups', 'describe', 'billing', '--bootstrap', bootstrap]);
  assert.equal(lines(text.stdout), [
    'Group: billing  State: Empty  Members: 0  Total lag: 4',
    'TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID',
    'meter  0          2               6               4    -            -     -',
    'meter  1          4               4               0    -            -     -',
  ]);
});

test('consume --group commits what it printed, and the lag shrinks by as much', async () => {
  const consumed = await runCli(['consume', '--topic', 'meter', '--group', 'reader', '--from-beginning', '--max-messages', '7', '--bootstrap', bootstrap]);
  assert.is(consumed.code, 0, consumed.stderr);
  assert.is(lines(consumed.stdout).length, 7);
  const description = await describe('reader');
  const committed = description.partitions.reduce((sum, entry) => sum + Number(entry.committedOffset ?? 0), 0);
  assert.is(committed, 7, 'the committed offsets add up to the records printed');
  assert.is(description.totalLag, '3');
  for (const entry of description.partitions) assert.is(BigInt(entry.lag), BigInt(entry.logEndOffset) - BigInt(entry.committedOffset!));

  const rest = await runCli(['consume', '--topic', 'meter', '--group', 'reader', '--exit-at-end', '--bootstrap', bootstrap]);
  assert.is(lines(rest.stdout).length, 3, 'the group resumes where it left off');
  assert.is((await describe('reader')).totalLag, '0');
});

test('list shows the groups with their state', async () => {
  const result = await runCli(['groups', 'list', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  assert.ok(lines(result.stdout).includes('billing\tEmpty'), result.stdout);
});

test('reset-offsets plans by default and applies with --execute', async () => {
  const plan = await runCli(['groups', 'reset-offsets', '--group', 'billing', '--topic', 'meter', '--to-earliest', '--bootstrap', bootstrap]);
  assert.is(plan.code, 0, plan.stderr);
  assert.equal(lines(plan.stdout), ['TOPIC\tPARTITION\tCURRENT-OFFSET\tNEW-OFFSET', 'meter\t0\t2\t0', 'meter\t1\t4\t0', 'dry run: nothing changed; add --execute to apply']);
  assert.is((await describe('billing')).totalLag, '4');

  const shifted = await runCli(['groups', 'reset-offsets', '--group', 'billing', '--topic', 'meter', '--partition', '1', '--shift-by=-10', '--execute', '--bootstrap', bootstrap]);
  assert.is(shifted.code, 0, shifted.stderr);
  assert.match(shifted.stdout, 'meter\t1\t4\t0\n', 'shifting before the log start stops at the log start');
  assert.equal((await describe('billing')).partitions.map((entry) => entry.lag), ['4', '4']);
});

test('offsets of a group with running members are not moved', async () => {
  const kafka = kafkajsClient(daemon.ports.kafka!, 'groups-test');
  const consumer = kafka.consumer({ groupId: 'live', sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'meter', fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({ eachMessage: async () => {} });
  await joined;
  try {
    const description = await describe('live');
    assert.is(description.members.length, 1);
    assert.equal(description.members[0]!.assignments, [{ topic: 'meter', partitions: [0, 1] }]);
    const refused = await runCli(['groups', 'reset-offsets', '--group', 'live', '--topic', 'meter', '--to-latest', '--execute', '--bootstrap', bootstrap]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /^tributary: group live has 1 running member \(state Stable\); stop its consumers before moving its offsets/);
  } finally {
    await consumer.disconnect();
  }
});

test('an unknown group is named with the groups that exist, and exits 1', async () => {
  const result = await runCli(['groups', 'describe', '--group', 'biling', '--bootstrap', bootstrap]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /^tributary: no group named biling; groups: .*billing/);
});

test.run();
