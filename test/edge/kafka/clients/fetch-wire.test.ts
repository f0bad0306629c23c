// Fetch answers on the wire. A partition with nothing to return carries an empty record
// set, as Kafka brokers send it: a null record set (length -1) made librdkafka 2.0.2 (kcat,
// confluent-kafka) fail every such fetch with "invalid MessageSetSize -1". And the response
// honours max_bytes across partitions (KIP-74).
import { test } from 'uvu';
import { randomBytes } from 'node:crypto';
import * as assert from 'uvu/assert';
import { decodeResponse, encodeRequest, ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const FETCH = 1;
/** Bytes of a record set's length prefix in non-flexible versions (int32). */
const RECORDS_LENGTH_BYTES = 4;

test('an empty partition, and one past its end, are answered with an empty record set, never a null one', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { empty: { partitions: 2 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    // librdkafka 2.0.2 sends Fetch v11; kafkajs v11 as well; @platformatic/kafka a flexible version.
    for (const version of [4, 11, 12]) {
      const frame = encodeRequest(FETCH, version, 7, 'fetch-wire', {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic: 'empty', topicId: '', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 65_536 }, { partition: 1, fetchOffset: 0n, partitionMaxBytes: 65_536 }] }],
        forgottenTopicsData: [],
      });
      const answer = await connection.replay(frame);
      const response = decodeResponse(FETCH, version, answer);
      for (const partition of response.body.responses[0]!.partitions) {
        assert.is(partition.errorCode, ErrorCode.NONE);
        assert.ok(partition.records !== null, `v${version} partition ${partition.partitionIndex}: records are not null`);
        assert.is(partition.records!.length, 0, `v${version} partition ${partition.partitionIndex}: no bytes`);
      }
      if (version < 12) {
        // The record set is the last field of a partition; its int32 length must read 0, not -1.
        const tail = answer.subarray(answer.length - RECORDS_LENGTH_BYTES);
        assert.is(tail.readInt32BE(0), 0, `v${version}: the last record set's length prefix is 0`);
      }
    }
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test('max_bytes: every partition is served when they all fit; past the response budget the first batch still comes (KIP-74) and the rest wait', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { budget: { partitions: 3 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const batchBytes: number[] = [];
    for (let partition = 0; partition < 3; partition++) {
      const batch = encodeRecordBatch({ records: Array.from({ length: 20 }, (_unused, index) => ({ key: `p${partition}`, value: `value-${partition}-${index}`.padEnd(200, '.') })) });
      batchBytes.push(batch.length);
      const produced = await connection.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'budget', partitionData: [{ index: partition, records: batch }] }] });
      assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    }
    const fetch = (maxBytes: number, partitionMaxBytes: number) => connection.request(FETCH, 11, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'budget', topicId: '', partitions: [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const roomy = await fetch(1024 * 1024, 65_536);
    assert.equal(roomy.responses[0]!.partitions.map((partition) => partition.records!.length), batchBytes, 'all three partitions, each its batch');

    const tight = await fetch(100, 65_536);
    assert.equal(tight.responses[0]!.partitions.map((partition) => partition.records!.length), [batchBytes[0], 0, 0], 'the first batch although larger than max_bytes, then nothing');
    assert.equal(tight.responses[0]!.partitions.map((partition) => partition.highWatermark), [20n, 20n, 20n], 'every partition still reports its high watermark');
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test('max_bytes with batches near it: only the first batch may pass the limit; partitions after it get nothing (KIP-74)', async () => {
  // Three partitions each holding one batch of about 900 KiB, fetched with max_bytes
  // 1,000,000: the broker once answered 1,843,787 bytes, giving every partition its whole
  // batch, and librdkafka dropped the connection.
  const daemon = await Daemon.start({ config: { topics: { overrides: { large: { partitions: 3 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const batches = [0, 1, 2].map((partition) => encodeRecordBatch({ records: [{ key: `p${partition}`, value: randomBytes(900 * 1024) }] }));
    for (const [partition, batch] of batches.entries()) {
      const produced = await connection.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'large', partitionData: [{ index: partition, records: batch }] }] });
      assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    }
    const RESPONSE_MAX_BYTES = 1_000_000;
    const fetch = (partitionMaxBytes: number, fetchOffsets: bigint[]) => connection.request(FETCH, 11, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: RESPONSE_MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'large', topicId: '', partitions: fetchOffsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const recordBytes = (response: Awaited<ReturnType<typeof fetch>>) => response.responses[0]!.partitions.map((partition) => partition.records!.length);
    // librdkafka's default partition limit (1 MiB): the partitions' limits exceed the response's.
    assert.equal(recordBytes(await fetch(1024 * 1024, [0n, 0n, 0n])), [batches[0]!.length, 0, 0]);
    // Partition limits that together fit the response, each smaller than a batch.
    assert.equal(recordBytes(await fetch(300_000, [0n, 0n, 0n])), [batches[0]!.length, 0, 0]);
    // The first partition is read to its end: the first partition with data is the second.
    assert.equal(recordBytes(await fetch(300_000, [1n, 0n, 0n])), [0, batches[1]!.length, 0]);
    assert.equal(recordBytes(await fetch(1024 * 1024, [1n, 0n, 0n])), [0, batches[1]!.length, 0]);
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();
