// The idempotent producer contract checked on the wire, byte for byte (KIP-98): the exact
// Produce request of an idempotent producer sent again is answered with the offsets of the
// first append and appends nothing, also after the broker was killed and restarted; a
// sequence gap is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, decodeResponse, encodeRequest } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { readPartition } from './support/log-reader.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const TOPIC = 'replayed';
const PRODUCE = 0;
const INIT_PRODUCER_ID = 22;

interface Producer { producerId: bigint; producerEpoch: number }

/** A Produce request frame for one idempotent batch of `count` records starting at `sequence`. */
function produceFrame(version: number, correlationId: number, producer: Producer, sequence: number, count: number, label: string): Buffer {
  const records = Array.from({ length: count }, (_unused, index) => ({ key: 'sensor', value: `${label}-${index}`, headers: [{ key: 'label', value: label }] }));
  const batch = encodeRecordBatch({ records, producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: sequence, compression: 'gzip' });
  return encodeRequest(PRODUCE, version, correlationId, 'replay-test', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }],
  });
}

/** Sends a frame and returns partition 0's answer. */
async function send(connection: RawKafkaConnection, version: number, frame: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = decodeResponse(PRODUCE, version, await connection.replay(frame));
  const partition = response.body.responses[0]!.partitionResponses[0]!;
  return { errorCode: partition.errorCode, baseOffset: partition.baseOffset };
}

async function values(port: number): Promise<string[]> {
  return (await readPartition(port, TOPIC, 0)).records.map((record) => record.value!.toString());
}

for (const version of [7, 11]) {
  test(`Produce v${version}: a replayed idempotent batch gets its first offsets and is stored once, across a SIGKILL`, async () => {
    let daemon = await Daemon.start({ config: { topics: { overrides: { [TOPIC]: { partitions: 1 } } } } });
    const cleanups = [daemon];
    let connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
    try {
      const init = await connection.request(INIT_PRODUCER_ID, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
      assert.is(init.errorCode, ErrorCode.NONE);
      assert.ok(init.producerId >= 0n, 'a producer id is given');
      const producer: Producer = { producerId: init.producerId, producerEpoch: init.producerEpoch };

      const first = produceFrame(version, 100, producer, 0, 3, 'first');
      const second = produceFrame(version, 101, producer, 3, 2, 'second');
      assert.equal(await send(connection, version, first), { errorCode: ErrorCode.NONE, baseOffset: 0n });
      assert.equal(await send(connection, version, second), { errorCode: ErrorCode.NONE, baseOffset: 3n });
      assert.equal(await send(connection, version, second), { errorCode: ErrorCode.NONE, baseOffset: 3n }, 'the newest batch again: its offsets, no append');
      assert.equal(await send(connection, version, first), { errorCode: ErrorCode.NONE, baseOffset: 0n }, 'an older batch again: its offsets, no append');
      assert.equal(await values(daemon.ports.kafka!), ['first-0', 'first-1', 'first-2', 'second-0', 'second-1']);

      // A power cut: the producer state must come back from the log.
      await connection.close();
      await daemon.kill();
      daemon = await daemon.restart();
      cleanups.push(daemon);
      connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
      assert.equal(await send(connection, version, second), { errorCode: ErrorCode.NONE, baseOffset: 3n }, 'after restart: the retry is still recognised');
      assert.equal(await send(connection, version, first), { errorCode: ErrorCode.NONE, baseOffset: 0n }, 'after restart: the older batch too');
      const third = produceFrame(version, 102, producer, 5, 1, 'third');
      assert.equal(await send(connection, version, third), { errorCode: ErrorCode.NONE, baseOffset: 5n }, 'the next sequence appends');
      const gap = produceFrame(version, 103, producer, 9, 1, 'gap');
      assert.is((await send(connection, version, gap)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a sequence gap is refused');
      assert.equal(await values(daemon.ports.kafka!), ['first-0', 'first-1', 'first-2', 'second-0', 'second-1', 'third-0']);
      assert.ok(!connection.isClosed, 'refusals keep the connection open');
      for (const instance of cleanups) assertNoServerErrors(instance);
    } finally {
      await connection.close();
      for (const instance of cleanups) await instance.cleanup();
    }
  });
}

test.run();
