// Ten thousand topics on one daemon, as a user makes them: CreateTopics requests of 1,000 from
// confluent-kafka's admin client, records produced to a sample of them and read back, a
// restart, and the sample read again. The daemon holds no more descriptors than the
// open-file cache allows (storage.maxOpenSegmentFiles) plus those of its listeners, SQLite
// and Node itself, counted in /proc/<pid>/fd; the default topic limit (topics.maxTopics,
// 10,000) refuses the next topic. The wall time of each step and the resident memory are
// printed, not asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Daemon, metricTotal } from '../../helpers/daemon.ts';
import { runKafkaClient } from './support/kafka-client.ts';

const TOPICS = 10_000;
/** storage.maxOpenSegmentFiles in this test: below the default, so that the bound is what limits the count. */
const OPEN_SEGMENT_FILES_MAX = 256;
/** Descriptors beside segment files: stdio, the event loop, listeners, SQLite databases and their WAL files, the clients' connections. */
const OTHER_DESCRIPTORS_MAX = 64;
/** Every 200th topic takes records: fifty topics spread over the whole range. */
const SAMPLE_EVERY = 200;
const RECORDS_PER_SAMPLE = 3;
/** A restart recovers every partition before it is ready: seconds on an idle machine, minutes on a loaded two-core one. */
const RESTART_READY_TIMEOUT_MS = 600_000;

function descriptors(pid: number): { total: number; segments: number } {
  let segments = 0;
  const entries = readdirSync(`/proc/${pid}/fd`);
  for (const fd of entries) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith('.log')) segments += 1;
    } catch {
      // Closed while being listed.
    }
  }
  return { total: entries.length, segments };
}

function residentMegabytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function timed<T>(what: string, work: () => T): T {
  const started = Date.now();
  const result = work();
  console.log(`  ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

test(`${TOPICS} topics: created by CreateTopics requests of 1,000, a sample written and read back across a restart, open descriptors within the cache's bound`, async () => {
  const config = { storage: { maxOpenSegmentFiles: OPEN_SEGMENT_FILES_MAX } };
  let daemon = await Daemon.start({ config });
  try {
    const port = (): number => daemon.ports.kafka!;
    const [created] = timed(`creating ${TOPICS} topics (CreateTopics requests of 1,000)`, () => runKafkaClient(port(), [{ op: 'create-many', prefix: 'sensor', count: TOPICS }]));
    assert.is(created!.error, 'NONE', 'every topic created');
    const [refused] = runKafkaClient(port(), [{ op: 'create', topic: 'one-too-many', partitions: 1 }]);
    assert.is(refused!.error, 'POLICY_VIOLATION', 'topics.maxTopics (10,000 by default) refuses the next one');

    const sample = Array.from({ length: TOPICS / SAMPLE_EVERY }, (_, index) => `sensor-${index * SAMPLE_EVERY + 7}`);
    const expected = sample.flatMap((topic) => Array.from({ length: RECORDS_PER_SAMPLE }, (_, index) => `${topic}:${index}`)).sort();
    const [produced] = timed(`producing to ${sample.length} of them`, () => runKafkaClient(port(), [{ op: 'produce', topics: sample, records: RECORDS_PER_SAMPLE }]));
    assert.is(produced!.error, 'NONE');
    const [read] = runKafkaClient(port(), [{ op: 'consume', topics: sample, records: RECORDS_PER_SAMPLE }]);
    assert.equal(read!.values, expected, 'the sample reads back');

    const before = descriptors(daemon.pid);
    assert.ok(before.segments <= OPEN_SEGMENT_FILES_MAX, `${before.segments} segment files open, over ${OPEN_SEGMENT_FILES_MAX}`);
    assert.ok(before.total <= OPEN_SEGMENT_FILES_MAX + OTHER_DESCRIPTORS_MAX, `${before.total} descriptors open`);
    const metrics = await daemon.metrics();
    assert.is(metricTotal(metrics, 'tributary_storage_topics'), TOPICS);
    console.log(`  after creating and writing: ${before.total} descriptors (${before.segments} segment files), RSS ${residentMegabytes(daemon.pid).toFixed(0)} MB`);

    const stoppedAt = Date.now();
    await daemon.stop();
    console.log(`  clean stop with ${TOPICS} topics: ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
    const restartedAt = Date.now();
    daemon = await daemon.restart({ config, readyTimeoutMs: RESTART_READY_TIMEOUT_MS });
    console.log(`  restart with ${TOPICS} topics: ${((Date.now() - restartedAt) / 1000).toFixed(1)} s to ready`);
    const after = descriptors(daemon.pid);
    assert.ok(after.segments <= OPEN_SEGMENT_FILES_MAX, `${after.segments} segment files open after the restart`);
    assert.ok(after.total <= OPEN_SEGMENT_FILES_MAX + OTHER_DESCRIPTORS_MAX, `${after.total} descriptors open after the restart`);
    const [again] = runKafkaClient(port(), [{ op: 'consume', topics: sample, records: RECORDS_PER_SAMPLE }]);
    assert.equal(again!.values, expected, 'the sample reads back after the restart');
    console.log(`  after the restart: ${after.total} descriptors (${after.segments} segment files), RSS ${residentMegabytes(daemon.pid).toFixed(0)} MB`);
  } finally {
    await daemon.cleanup();
  }
});

test.run();
