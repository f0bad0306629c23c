// Fetch answers as librdkafka (kcat, confluent-kafka) reads them: a partition with nothing
// to return carries an empty record set, as Kafka brokers send it. A null record set
// (length -1) made librdkafka 2.0.2 fail every such fetch with "invalid MessageSetSize -1".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeResponse, encodeRequest, ErrorCode } from '../../../../shared/kafka/protocol/index.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

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
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();
