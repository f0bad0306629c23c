// What a client learns at once instead of after its timeout. FindCoordinator finds this
// broker for groups and transactional ids alike (it coordinates both) and refuses a key type
// it does not know. And Produce is advertised from v0,
// as Kafka advertises it, because librdkafka turns compression off otherwise (librdkafka
// #4956), while the message formats of v0-v2 (magic 0 and 1) are refused per partition with
// UNSUPPORTED_FOR_MESSAGE_FORMAT; Kafka 4.4 closes the connection instead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const PRODUCE = 0;
const FIND_COORDINATOR = 10;
const TOPIC = 'formats';

let daemon: Daemon;
let connection: RawKafkaConnection;

test.before(async () => {
  daemon = await Daemon.start({ config: { topics: { overrides: { [TOPIC]: { partitions: 1 } } } } });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
});

test.after(async () => {
  await connection?.close();
  await daemon?.cleanup();
});

test('FindCoordinator finds this broker for transactional ids (key type 1) and groups; an unknown key type is refused', async () => {
  for (const version of [1, 3]) {
    const response = await connection.request(FIND_COORDINATOR, version, { key: 'tx-1', keyType: 1, coordinatorKeys: [] });
    assert.equal([response.errorCode, response.nodeId, response.port], [ErrorCode.NONE, 1, daemon.ports.kafka], `v${version}`);
  }
  const batched = await connection.request(FIND_COORDINATOR, 4, { key: '', keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] });
  assert.equal(batched.coordinators.map((coordinator) => [coordinator.key, coordinator.errorCode, coordinator.nodeId]), [['tx-1', ErrorCode.NONE, 1], ['tx-2', ErrorCode.NONE, 1]]);
  const group = await connection.request(FIND_COORDINATOR, 4, { key: '', keyType: 0, coordinatorKeys: ['readers'] });
  assert.equal([group.coordinators[0]!.errorCode, group.coordinators[0]!.nodeId, group.coordinators[0]!.port], [ErrorCode.NONE, 1, daemon.ports.kafka]);
  const unknown = await connection.request(FIND_COORDINATOR, 4, { key: '', keyType: 9, coordinatorKeys: ['x'] });
  assert.is(unknown.coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST);
});

/** A legacy message set of one message (magic 0 or 1), as Produce v0-v2 carry. */
function legacyMessageSet(magic: 0 | 1): Buffer {
  const value = Buffer.from('old');
  const message = Buffer.alloc(8 + 4 + 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4 + value.length);
  let at = 8;
  message.writeInt32BE(message.length - 12, at); at += 4;
  at += 4; // crc: refused before it is checked
  message.writeInt8(magic, at); at += 1;
  at += 1; // attributes
  if (magic === 1) { message.writeBigInt64BE(1000n, at); at += 8; }
  message.writeInt32BE(-1, at); at += 4; // null key
  message.writeInt32BE(value.length, at); at += 4;
  value.copy(message, at);
  return message;
}

test('Produce is advertised from v0; the magic 0 and 1 formats of v0-v2 are refused per partition, magic 2 is stored', async () => {
  const advertised = (await connection.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })).apiKeys.find((api) => api.apiKey === PRODUCE)!;
  assert.is(advertised.minVersion, 0, 'librdkafka keeps compression on only when v0 is advertised');
  const produce = async (version: number, records: Buffer) => (await connection.request(PRODUCE, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] })).responses[0]!.partitionResponses[0]!;
  for (const [version, magic] of [[0, 0], [1, 0], [2, 1], [3, 1], [9, 1]] as const) {
    assert.is((await produce(version, legacyMessageSet(magic))).errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `v${version} magic ${magic}`);
  }
  const refused = await produce(9, legacyMessageSet(1));
  assert.match(refused.errorMessage ?? '', /magic 1 is not supported.*Produce v3 and later/);
  for (const version of [3, 7, 11]) {
    assert.is((await produce(version, encodeRecordBatch({ records: [{ value: `v${version}` }] }))).errorCode, ErrorCode.NONE, `v${version} magic 2`);
  }
  assert.not.ok(connection.isClosed, 'the connection stays open throughout');
});

test.run();
