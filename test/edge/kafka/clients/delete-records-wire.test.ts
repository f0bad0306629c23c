// DeleteRecords on the wire (KIP-107): the log start offset moves, durably; fetches below it
// are OFFSET_OUT_OF_RANGE and ListOffsets earliest answers it; -1 stands for the high
// watermark; an offset past the high watermark or a missing partition is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const DELETE_RECORDS = 21;
const TOPIC = 'trimmed';

test('the log start moves and stays moved across a restart; reads below it are out of range', async () => {
  let daemon = await Daemon.start({ config: { topics: { overrides: { [TOPIC]: { partitions: 2 } } } } });
  let connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    for (let batch = 0; batch < 4; batch++) {
      const records = encodeRecordBatch({ records: Array.from({ length: 5 }, (_unused, index) => ({ value: `r${batch * 5 + index}` })) });
      const produced = await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }, { index: 1, records: Buffer.from(records) }] }] });
      assert.equal(produced.responses[0]!.partitionResponses.map((partition) => partition.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    }
    const remove = async (partitions: Array<[number, bigint]>, version = 2, topic = TOPIC) => (await connection.request(DELETE_RECORDS, version, { topics: [{ name: topic, partitions: partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) }], timeoutMs: 5000 })).topics[0]!.partitions.map((partition) => [partition.partitionIndex, partition.errorCode, partition.lowWatermark]);
    assert.equal(await remove([[0, 7n], [1, -1n]]), [[0, ErrorCode.NONE, 7n], [1, ErrorCode.NONE, 20n]]);
    assert.equal(await remove([[0, 3n]], 0), [[0, ErrorCode.NONE, 7n]], 'a lower offset leaves the log start where it is');
    assert.equal(await remove([[0, 21n], [0, -2n], [5, 1n]], 1), [[0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n], [0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]);
    assert.equal(await remove([[0, 1n]], 2, 'no-such-topic'), [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]);

    await connection.close();
    await daemon.stop();
    daemon = await daemon.restart({ config: { topics: { overrides: { [TOPIC]: { partitions: 2 } } } } });
    connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
    const earliest = await connection.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -2n })) }], timeoutMs: 5000 });
    assert.equal(earliest.topics[0]!.partitions.map((partition) => partition.offset), [7n, 20n]);
    const fetch = (fetchOffset: bigint) => connection.request(1, 11, {
      maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId: '', partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
    });
    const below = (await fetch(6n)).responses[0]!.partitions[0]!;
    assert.equal([below.errorCode, below.logStartOffset], [ErrorCode.OFFSET_OUT_OF_RANGE, 7n]);
    const at = (await fetch(7n)).responses[0]!.partitions[0]!;
    assert.equal([at.errorCode, at.logStartOffset, at.records!.length > 0], [ErrorCode.NONE, 7n, true]);
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();
