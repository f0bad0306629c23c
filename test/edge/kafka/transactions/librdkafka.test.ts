// librdkafka (python3-confluent-kafka, Debian) transactions against the real daemon:
// commit and abort as read_committed and read_uncommitted consumers see them, a zombie
// fenced by a new instance of its transactional id, and a consume-transform-produce loop
// with send_offsets_to_transaction killed (SIGKILL) in the middle of a transaction, after
// which a new instance finishes the work with every input in the output exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import { RunningScenario, runScenario } from './support/librdkafka.ts';

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

test.run();
