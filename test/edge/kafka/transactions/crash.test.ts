// SIGKILL of the daemon at random moments while a librdkafka producer runs transactions,
// committing or aborting each at random: after every restart nothing committed is lost,
// nothing aborted is visible to read_committed consumers, and every transaction is seen
// whole or not at all, once. Each round's producer reuses the transactional id, so its
// InitProducerId aborts what the kill left open; the coordinator also finishes, at start,
// the transactions whose outcome was decided before the kill.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import { RunningScenario, runScenario } from './support/librdkafka.ts';

const ROUNDS = 4;
const TOPIC = 'crash-txn';
const TRANSACTIONAL_ID = 'tx-crash';
/** Records per transaction in the python loop. */
const RECORDS_PER_TRANSACTION = 3;

test('transactions survive SIGKILL of the daemon at random moments: committed kept, aborted hidden, each whole or absent', async () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
  let random = seed;
  const next = (bound: number): number => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random % bound;
  };
  const committed = new Set<string>();
  const aborted = new Set<string>();
  let daemon = await Daemon.start({ config: { topics: { defaults: { partitions: 1 } } } });
  const dataDir = daemon.dataDir;
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const loop = new RunningScenario(`127.0.0.1:${daemon.ports.kafka}`, 'loop', [TOPIC, TRANSACTIONAL_ID, `r${round}`, String(seed + round)]);
      const finished: string[] = [];
      loop.child.stdout!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (!line.startsWith('{')) continue;
          const parsed = JSON.parse(line) as { committed?: string; aborted?: string };
          if (parsed.committed) { committed.add(parsed.committed); finished.push(parsed.committed); }
          if (parsed.aborted) { aborted.add(parsed.aborted); finished.push(parsed.aborted); }
        }
      });
      const ended = 2 + next(6);
      try {
        await loop.waitFor(() => finished.length >= ended, `${ended} transactions ended (seed ${seed})`);
        // Somewhere inside the next transaction: before, during or after its commit.
        await new Promise((resolve) => setTimeout(resolve, next(40)));
        await daemon.kill();
      } finally {
        await loop.kill();
      }
      daemon = await Daemon.start({ dataDir, config: { topics: { defaults: { partitions: 1 } } } });
    }
    // A last instance of the transactional id aborts whatever the last kill left open.
    await runScenario(`127.0.0.1:${daemon.ports.kafka}`, 'produce', TOPIC, TRANSACTIONAL_ID, 'COMMIT', '1', 'final');
    const expected = committed.size * RECORDS_PER_TRANSACTION + 1;
    const { values } = await runScenario<{ values: string[] }>(`127.0.0.1:${daemon.ports.kafka}`, 'consume', TOPIC, 'read_committed', String(expected));
    assert.is(new Set(values).size, values.length, `no record twice (seed ${seed})`);
    const seen = new Map<string, number>();
    for (const value of values) {
      if (value === 'final-0') continue;
      const transaction = value.slice(0, value.lastIndexOf('-'));
      seen.set(transaction, (seen.get(transaction) ?? 0) + 1);
    }
    for (const transaction of committed) assert.is(seen.get(transaction), RECORDS_PER_TRANSACTION, `committed transaction ${transaction} is there whole (seed ${seed})`);
    for (const transaction of aborted) assert.not.ok(seen.has(transaction), `aborted transaction ${transaction} is hidden (seed ${seed})`);
    // A transaction the kill interrupted may have committed without its answer reaching the client: whole, then.
    for (const [transaction, count] of seen) assert.is(count, RECORDS_PER_TRANSACTION, `transaction ${transaction} is whole (seed ${seed})`);
    assert.ok(values.includes('final-0'));
    assert.ok(committed.size >= ROUNDS * 1, 'transactions committed in every round');
  } finally {
    await daemon.cleanup();
  }
});

test.run();
