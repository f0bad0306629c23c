// ListOffsets on the wire: the latest and earliest offsets, a search by timestamp, and the
// record with the largest timestamp (-3, KIP-734), which is not the newest record when the
// clocks of producers disagree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const LIST_OFFSETS = 2;
const TOPIC = 'clocks';

let daemon: Daemon;
let connection: RawKafkaConnection;

test.before(async () => {
  daemon = await Daemon.start({ config: { topics: { overrides: { [TOPIC]: { partitions: 2 } } } } });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  const produce = async (partition: number, timestamps: number[]): Promise<void> => {
    const records = encodeRecordBatch({ records: timestamps.map((timestampMs) => ({ value: `at ${timestampMs}`, timestampMs })) });
    const produced = await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
    assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  };
  // Partition 0: offsets 0-2 at 100, 400, 250; then a batch whose largest timestamp ties with 400.
  await produce(0, [100, 400, 250]);
  await produce(0, [300, 400]);
});

test.after(async () => {
  await connection?.close();
  await daemon?.cleanup();
});

async function listOffset(version: number, partition: number, timestamp: bigint): Promise<{ errorCode: number; offset: bigint; timestamp: bigint }> {
  const response = await connection.request(LIST_OFFSETS, version, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
    timeoutMs: 5000,
  });
  const { errorCode, offset, timestamp: found } = response.topics[0]!.partitions[0]!;
  return { errorCode, offset, timestamp: found };
}

test('MAX_TIMESTAMP (-3) answers the first record with the largest timestamp, not the newest record', async () => {
  for (const version of [7, 8, 10]) {
    assert.equal(await listOffset(version, 0, -3n), { errorCode: ErrorCode.NONE, offset: 1n, timestamp: 400n }, `v${version}`);
  }
  assert.equal(await listOffset(7, 1, -3n), { errorCode: ErrorCode.NONE, offset: -1n, timestamp: -1n }, 'an empty partition has no such record');
});

test('MAX_TIMESTAMP before v7, the local log start before v8 and the tiered end before v9 get UNSUPPORTED_VERSION, as from Kafka', async () => {
  assert.is((await listOffset(6, 0, -3n)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.is((await listOffset(7, 0, -4n)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.is((await listOffset(8, 0, -5n)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(await listOffset(8, 0, -4n), { errorCode: ErrorCode.NONE, offset: 0n, timestamp: -1n }, 'nothing is tiered: the local log start is the log start');
  assert.equal(await listOffset(9, 0, -5n), { errorCode: ErrorCode.NONE, offset: -1n, timestamp: -1n }, 'nothing is tiered: no tiered offset');
});

test('latest, earliest and by timestamp', async () => {
  assert.equal(await listOffset(7, 0, -1n), { errorCode: ErrorCode.NONE, offset: 5n, timestamp: -1n });
  assert.equal(await listOffset(7, 0, -2n), { errorCode: ErrorCode.NONE, offset: 0n, timestamp: -1n });
  assert.equal(await listOffset(7, 0, 200n), { errorCode: ErrorCode.NONE, offset: 1n, timestamp: 400n });
  assert.equal(await listOffset(7, 0, 260n), { errorCode: ErrorCode.NONE, offset: 1n, timestamp: 400n });
  assert.equal(await listOffset(7, 0, 401n), { errorCode: ErrorCode.NONE, offset: -1n, timestamp: -1n });
  assertNoServerErrors(daemon);
});

test.run();
