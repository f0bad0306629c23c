// The cleaner and transactions through the daemon (KIP-98): a librdkafka transactional
// producer commits, aborts and commits on a compacted topic; once the cleaner has passed,
// read_uncommitted consumers see nothing of the aborted transaction, read_committed ones
// see what they saw before (the same producer's commit after its abort included), and every
// record is at the offset it was given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { runScenario } from '../../kafka/transactions/support/librdkafka.ts';
import { kafkaClient, readPartition, waitFor } from '../../../mirror/cluster.ts';

const TOPIC = 'ledger';
/** Plain records after the transactions: enough to close the segments that hold them (segmentBytes 1024). */
const FILLER_COUNT = 60;

test('the cleaner removes an aborted transaction\'s records; read_committed and read_uncommitted agree, offsets unchanged', async () => {
  // delete.retention.ms 0: no marker is kept for its age (the abort marker stays for the aborted-transaction index).
  const topics = { overrides: { [TOPIC]: { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 1024, minCleanableDirtyRatio: 0.01, deleteRetentionMs: 0 } } };
  const daemon = await Daemon.start({ config: { storage: { cleanerCheckIntervalMs: 200 }, topics } });
  const bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
  try {
    // Offsets: kept-a 0-2 and its marker 3, dropped 4-6 and its marker 7, kept-b 8-10 and its marker 11, fillers from 12.
    await runScenario(bootstrap, 'produce', TOPIC, 'tx-ledger', 'COMMIT', '3', 'kept-a');
    await runScenario(bootstrap, 'produce', TOPIC, 'tx-ledger', 'ABORT', '3', 'dropped');
    await runScenario(bootstrap, 'produce', TOPIC, 'tx-ledger', 'COMMIT', '3', 'kept-b');
    await runScenario(bootstrap, 'seed', TOPIC, String(FILLER_COUNT));
    await waitFor('the cleaner to remove the aborted records', async () => ((metricValue(await daemon.metrics(), 'tributary_storage_cleaner_removed_records_total', { topic: TOPIC }) ?? 0) >= 3 ? true : undefined));

    const expected = ['kept-a-0', 'kept-a-1', 'kept-a-2', 'kept-b-0', 'kept-b-1', 'kept-b-2', ...Array.from({ length: FILLER_COUNT }, (_, index) => `in-${index}`)];
    const uncommitted = await runScenario<{ values: string[] }>(bootstrap, 'consume', TOPIC, 'read_uncommitted', String(expected.length));
    assert.equal(uncommitted.values, expected, 'read_uncommitted: no aborted record is left to see');
    const committed = await runScenario<{ values: string[] }>(bootstrap, 'consume', TOPIC, 'read_committed', String(expected.length));
    assert.equal(committed.values, expected);
    // The offsets each record was given when it was produced, gaps where the aborted transaction and markers were.
    const reader = kafkaClient(bootstrap);
    try {
      // The markers come back too (as control records): only the data is looked at.
      const records = (await readPartition(reader, TOPIC, 0)).filter((record) => /^(kept|in-|dropped)/.test(record.value?.toString() ?? ''));
      const positions = records.slice(0, 6).map((record) => [record.offset, record.value?.toString()]);
      assert.equal(positions, [[0n, 'kept-a-0'], [1n, 'kept-a-1'], [2n, 'kept-a-2'], [8n, 'kept-b-0'], [9n, 'kept-b-1'], [10n, 'kept-b-2']]);
      assert.equal([records[6]!.offset, records[6]!.value?.toString()], [12n, 'in-0']);
    } finally {
      await reader.close();
    }
  } finally {
    await daemon.cleanup();
  }
});

test.run();
