// A failing disk fails every append of every partition. Each failure is counted in the
// metric, but the log gets one line per interval, not one per append: on a device that
// runs unattended, a full disk must not also fill the log (or the journal) with the news.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { isTributaryError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/logger.ts';
import { errnoError, type FaultInjector } from '../../../edge/storage/index.ts';
import { batchOf, openStore, removeDirectory, temporaryDirectory } from './helpers.ts';

const PARTITIONS = 8;
const APPENDS_PER_PARTITION = 25;

test('appends failing into a full disk on every partition: each counted, one log line in the interval', async () => {
  const dataDir = temporaryDirectory();
  const lines: { msg: string; level: number }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  let fault: FaultInjector | undefined;
  const registry = new Registry();
  const store = await openStore(dataDir, {
    logger: createLogger({ destination, level: 'warn' }),
    registry,
    storage: { groupCommitMaxWaitMs: 0 },
    fileFaults: (operation, path) => fault?.(operation, path),
  });
  try {
    await store.createTopic('t', { partitions: PARTITIONS });
    for (let partition = 0; partition < PARTITIONS; partition++) await store.partition('t', partition).append(batchOf(`before-${partition}`));
    fault = (operation, file) => (operation === 'write' && file.endsWith('.log') ? errnoError('ENOSPC', file) : undefined);
    const outcomes = await Promise.allSettled(Array.from({ length: PARTITIONS * APPENDS_PER_PARTITION }, (_, index) => store.partition('t', index % PARTITIONS).append(batchOf(`during-${index}`))));
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected' && isTributaryError(outcome.reason, 'STORAGE_DISK_FULL'));
    assert.is(refused.length, outcomes.length, 'every append into the full disk is refused with STORAGE_DISK_FULL');
    const counted = (await registry.getSingleMetric('tributary_storage_append_errors_total')!.get()).values.find((value) => value.labels.code === 'STORAGE_DISK_FULL')?.value;
    assert.is(counted, outcomes.length, 'the metric counts every refusal');
    const failureLines = lines.filter((line) => line.msg.startsWith('append failed'));
    assert.is(failureLines.length, 1, `one line for ${outcomes.length} failures within the interval, got ${failureLines.length}`);

    fault = undefined;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const result = await store.partition('t', partition).append(batchOf(`after-${partition}`));
      assert.is(result.baseOffset, 1n, 'appends resume at the offset after the last acknowledged one');
    }
  } finally {
    fault = undefined;
    await store.close();
    removeDirectory(dataDir);
  }
});

test.run();
