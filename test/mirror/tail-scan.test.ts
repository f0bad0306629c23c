import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../shared/errors.ts';
import { sourceHeaders, sourceOffsetMatcher } from '../../mirror/source-headers.ts';
import { nextSequence, scanTail, type TargetBatch, type TargetPartitionReader } from '../../mirror/tail-scan.ts';

/** A target partition held in memory: the scan's logic, without a cluster. */
class MemoryPartition implements TargetPartitionReader {
  batches: TargetBatch[] = [];
  logStartOffset = 0n;
  reads = 0;

  get highWatermark(): bigint {
    const last = this.batches[this.batches.length - 1];
    return last === undefined ? this.logStartOffset : last.lastOffset + 1n;
  }

  /** Appends a batch of `count` records from one source, as a producer would. */
  append(source: { edge: string; topic: string; partition: number; firstOffset: bigint } | null, count: number, producer = { id: 7n, epoch: 0, firstSequence: 0 }, sizeBytes = 100): void {
    const baseOffset = this.highWatermark;
    const records = Array.from({ length: count }, (_, index) => ({
      offset: baseOffset + BigInt(index),
      headers: source === null ? [] : sourceHeaders({ ...source, offset: source.firstOffset + BigInt(index) }).map((header) => ({ key: header.key, value: Buffer.from(header.value as string) })),
    }));
    this.batches.push({ baseOffset, lastOffset: baseOffset + BigInt(count - 1), sizeBytes, producerId: producer.id, producerEpoch: producer.epoch, baseSequence: producer.firstSequence, records });
  }

  async offsets() {
    return { logStartOffset: this.logStartOffset, highWatermark: this.highWatermark };
  }

  async read(offset: bigint, maxBytes: number): Promise<TargetBatch[]> {
    this.reads += 1;
    const result: TargetBatch[] = [];
    let bytes = 0;
    for (const batch of this.batches) {
      if (batch.lastOffset < offset || batch.lastOffset < this.logStartOffset) continue;
      if (result.length > 0 && bytes + batch.sizeBytes > maxBytes) break;
      result.push(batch);
      bytes += batch.sizeBytes;
    }
    return result;
  }
}

const ours = { edge: 'pump-7', topic: 'sensors', partition: 2 };
const options = { sourceOffsetOf: sourceOffsetMatcher(ours.edge, ours.topic, ours.partition), source: 'edge pump-7 (sensors/2)', where: 'test partition' };

test('an empty target partition: nothing delivered yet', async () => {
  const partition = new MemoryPartition();
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, undefined);
  assert.is(position.producer, undefined);
  assert.is(position.targetHighWatermark, 0n);
  assert.is(position.targetLogStartOffset, 0n, 'never held anything');
});

test('a target partition that retention emptied: nothing found, and its log start says it once held records', async () => {
  const partition = new MemoryPartition();
  partition.logStartOffset = 300n;
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, undefined);
  assert.is(position.targetLogStartOffset, 300n);
  assert.is(position.targetHighWatermark, 300n);
});

test('the last record names the last delivered offset and the producer to carry on with', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 10, { id: 7n, epoch: 0, firstSequence: 0 });
  partition.append({ ...ours, firstOffset: 10n }, 5, { id: 7n, epoch: 0, firstSequence: 10 });
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, 14n);
  assert.equal(position.producer, { producerId: 7n, producerEpoch: 0, nextSequence: 15 });
  assert.is(position.targetHighWatermark, 15n);
  assert.is(partition.reads, 1, 'one read of the last batch is enough when the partition has one source');
});

test('source offsets need not equal target offsets (the edge log started later, or was trimmed)', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 5000n }, 3, { id: 9n, epoch: 2, firstSequence: 100 });
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, 5002n);
  assert.equal(position.producer, { producerId: 9n, producerEpoch: 2, nextSequence: 103 });
});

test('records of other edges on a shared target are skipped, reading back window by window', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 4, { id: 7n, epoch: 0, firstSequence: 0 });
  for (let index = 0; index < 50; index += 1) partition.append({ edge: 'other', topic: 'sensors', partition: 2, firstOffset: BigInt(index * 2) }, 2, { id: 8n, epoch: 0, firstSequence: index * 2 });
  partition.append({ edge: 'pump-7', topic: 'alarms', partition: 2, firstOffset: 0n }, 1, { id: 7n, epoch: 0, firstSequence: 0 });
  partition.append({ edge: 'pump-7', topic: 'sensors', partition: 1, firstOffset: 0n }, 1, { id: 7n, epoch: 0, firstSequence: 0 });
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, 3n);
  assert.equal(position.producer, { producerId: 7n, producerEpoch: 0, nextSequence: 4 });
  assert.ok(partition.reads > 1);
});

test('a batch without a producer id gives no producer to carry on with', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 2, { id: -1n, epoch: -1, firstSequence: -1 });
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, 1n);
  assert.is(position.producer, undefined);
});

test('sequence numbers wrap at int32 like Kafka\'s', async () => {
  assert.is(nextSequence(2 ** 31 - 1, 1), 0);
  assert.is(nextSequence(2 ** 31 - 2, 5), 3);
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 3, { id: 7n, epoch: 0, firstSequence: 2 ** 31 - 2 });
  const position = await scanTail(partition, options);
  assert.is(position.producer?.nextSequence, 1);
});

test('retention on the target: the scan stops at the log start', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 10);
  partition.append(null, 10);
  partition.logStartOffset = 10n;
  const position = await scanTail(partition, options);
  assert.is(position.lastDeliveredOffset, undefined, 'records below the log start are gone');
});

test('the scan refuses to read past its byte limit rather than guess', async () => {
  const partition = new MemoryPartition();
  partition.append({ ...ours, firstOffset: 0n }, 1);
  for (let index = 0; index < 100; index += 1) partition.append(null, 1, undefined, 1000);
  try {
    await scanTail(partition, { ...options, bytesMax: 20_000 });
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'MIRROR_TARGET_FAILED'));
    assert.match((error as Error).message, /^test partition: no record from edge pump-7 \(sensors\/2\)/);
  }
});

test.run();
