// One partition pump between two logs held in memory: its failure paths, without sockets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TributaryError } from '../../shared/errors.ts';
import { encodeRecordBatch } from '../../shared/kafka/record-batch.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { EndpointRead, LogEndpoint, ProduceOutcome } from '../../mirror/endpoint.ts';
import { KafkaError } from '../../shared/kafka/client/kafka-errors.ts';
import { LinkMonitor } from '../../mirror/link-monitor.ts';
import { PartitionPump } from '../../mirror/partition-pump.ts';
import { sourceHeaders, sourceOffsetMatcher } from '../../mirror/source-headers.ts';

/**
 * A log in memory of one-record batches (so a batch's index is its offset) that answers the
 * pump as an endpoint would; each hook lets a test hold or fail a request.
 */
class MemoryEndpoint implements LogEndpoint {
  readonly name: string;
  readonly errorCode: 'MIRROR_SOURCE_FAILED' | 'MIRROR_TARGET_FAILED';
  readonly needsProducerId = false;
  batches: Buffer[] = [];
  onRead: (offset: bigint) => Promise<void> = async () => undefined;
  onAppend: () => Promise<void> = async () => undefined;

  constructor(name: string, errorCode: 'MIRROR_SOURCE_FAILED' | 'MIRROR_TARGET_FAILED') {
    this.name = name;
    this.errorCode = errorCode;
  }

  async listTopics(): Promise<Map<string, number>> { return new Map(); }
  async partitionCount(): Promise<number | undefined> { return 1; }
  async ensureTopic(): Promise<number> { return 1; }
  async offsets(): Promise<{ logStartOffset: bigint; highWatermark: bigint }> { return { logStartOffset: 0n, highWatermark: BigInt(this.batches.length) }; }
  async read(_topic: string, _partition: number, offset: bigint, _maxBytes: number, maxWaitMs: number): Promise<EndpointRead> {
    await this.onRead(offset);
    const batch = this.batches[Number(offset)];
    // Nothing new: a long poll waits before it answers empty.
    if (batch === undefined && maxWaitMs > 0) await new Promise((resolve) => setTimeout(resolve, maxWaitMs));
    return { records: batch ?? Buffer.alloc(0), highWatermark: BigInt(this.batches.length), logStartOffset: 0n, outOfRange: false };
  }
  async append(_topic: string, _partition: number, batch: Buffer): Promise<ProduceOutcome> {
    await this.onAppend();
    const stored = Buffer.from(batch);
    // The log assigns the base offset, as a broker does.
    stored.writeBigInt64BE(BigInt(this.batches.length), 0);
    this.batches.push(stored);
    return { errorCode: KafkaError.NONE, baseOffset: BigInt(this.batches.length - 1), logStartOffset: 0n, errorMessage: null };
  }
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> { return { producerId: -1n, producerEpoch: -1 }; }
  async commitOffsets(): Promise<void> {}
  async committedOffset(): Promise<bigint | undefined> { return undefined; }
  reset(): void {}
  async close(): Promise<void> {}
}

function pumpBetween(source: MemoryEndpoint, target: MemoryEndpoint): PartitionPump {
  return new PartitionPump({
    direction: 'forward',
    source,
    sourceTopic: 'sensors',
    target,
    targetTopic: 'edge.sensors',
    partition: 0,
    coordinates: (offset) => sourceHeaders({ edge: 'edge', topic: 'sensors', partition: 0, offset }),
    sourceOffsetOf: sourceOffsetMatcher('edge', 'sensors', 0),
    sourceName: 'edge edge (sensors/0)',
    central: 'target',
    link: new LinkMonitor({ backoffMinMs: 10, backoffMaxMs: 20, onDown: () => undefined }),
    compression: 'none',
    batchBytesMax: 1024 * 1024,
    longPollMs: 10,
    observer: { positioned: () => undefined, sent: () => undefined, delivered: () => undefined, progress: () => undefined, lost: () => undefined },
    logger: silentLogger(),
  });
}

test('a read ahead that fails while the batch before it is still being sent is handled, not left to crash the process', async () => {
  const source = new MemoryEndpoint('edge', 'MIRROR_SOURCE_FAILED');
  const target = new MemoryEndpoint('central', 'MIRROR_TARGET_FAILED');
  source.batches = [0, 1].map((offset) => encodeRecordBatch({ baseOffset: BigInt(offset), records: [{ value: Buffer.from(`reading-${offset}`) }] }));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  // The first append waits until the read of offset 1 (the read ahead) has failed.
  let readAheadFailed!: () => void;
  const failedOnce = new Promise<void>((resolve) => { readAheadFailed = resolve; });
  let failures = 0;
  source.onRead = async (offset) => {
    if (offset === 1n && failures === 0) {
      failures += 1;
      setImmediate(readAheadFailed);
      throw new TributaryError('MIRROR_SOURCE_FAILED', 'edge: fetch sensors/0 at 1: Connection closed', { network: true });
    }
  };
  target.onAppend = async () => {
    if (target.batches.length === 0) {
      await failedOnce;
      // Past the turn in which Node.js reports a rejection nobody handles.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const pump = pumpBetween(source, target);
  try {
    pump.start();
    const deadline = Date.now() + 10_000;
    while (target.batches.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(unhandled, [], 'no rejection left unhandled');
    assert.is(target.batches.length, 2, 'both batches delivered after the failed read was retried');
    assert.is(pump.nextOffset, 2n);
  } finally {
    await pump.stop();
    process.off('unhandledRejection', onUnhandled);
  }
});

test.run();
