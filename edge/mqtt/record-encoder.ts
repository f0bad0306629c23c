// Encodes MQTT publishes as one Kafka RecordBatch v2, the hot path of MQTT ingest.
//
// shared/kafka/record-batch.ts defines the format and decodes it; its general encoder
// takes any records and headers. Every MQTT record has the same shape (a key, a value
// and the four mqtt.* headers), so this one sizes the batch once, allocates it once and
// writes the header names from bytes encoded at load time. The batch header goes through
// the shared field table and CRC function, so only the record layout is written here:
//   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   keyLength varint, key, valueLength varint, value,
//   headerCount varint, per header: keyLength varint, key, valueLength varint, value
// (varints zig-zag encoded). test/edge/mqtt/record-encoder.test.ts decodes its output with
// the shared decoder.
import {
  BatchField,
  computeBatchCrc,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD,
  RECORD_BATCH_MAGIC,
} from '../../shared/kafka/record-batch.ts';

/** Header names of the record of an MQTT publish (documented in edge/mqtt/README.md). */
export const MqttHeaders = {
  topic: 'mqtt.topic',
  qos: 'mqtt.qos',
  retain: 'mqtt.retain',
  clientId: 'mqtt.clientId',
  // MQTT 5 properties, after the four above and before the User Properties.
  payloadFormat: 'mqtt.payloadFormat',
  messageExpiryInterval: 'mqtt.messageExpiryInterval',
  contentType: 'mqtt.contentType',
  responseTopic: 'mqtt.responseTopic',
  correlationData: 'mqtt.correlationData',
} as const;

/** Header names a User Property may not take: they would read as the broker's own. */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(MqttHeaders));

const HEADER_COUNT = 4;
const TOPIC_HEADER = Buffer.from(MqttHeaders.topic);
const QOS_HEADER = Buffer.from(MqttHeaders.qos);
const RETAIN_HEADER = Buffer.from(MqttHeaders.retain);
const CLIENT_ID_HEADER = Buffer.from(MqttHeaders.clientId);
const QOS_VALUES = [Buffer.from('0'), Buffer.from('1'), Buffer.from('2')];
const RETAIN_TRUE = Buffer.from('true');
const RETAIN_FALSE = Buffer.from('false');
/** Bytes of the header names and their one-byte length prefixes. */
const HEADER_NAMES_BYTES = TOPIC_HEADER.length + QOS_HEADER.length + RETAIN_HEADER.length + CLIENT_ID_HEADER.length + HEADER_COUNT;

export interface MqttRecord {
  key: Buffer;
  value: Buffer;
  /** The MQTT topic, UTF-8. */
  topic: Buffer;
  qos: number;
  retain: boolean;
  clientId: Buffer;
  /** When the broker received the publish. */
  timestampMs: number;
  /** Headers after the four above, in order (MQTT 5 properties), as UTF-8 name and value bytes. */
  extraHeaders?: Array<[Buffer, Buffer]>;
}

function extraHeaderBytes(headers: Array<[Buffer, Buffer]> | undefined): number {
  if (headers === undefined) return 0;
  let size = 0;
  for (const [name, value] of headers) size += varintBytes(zigzag(name.length)) + name.length + varintBytes(zigzag(value.length)) + value.length;
  return size;
}

/** Bytes of an unsigned varint holding `value` (below 2^31 here: lengths and deltas). */
function varintBytes(zigzagged: number): number {
  if (zigzagged < 0x80) return 1;
  if (zigzagged < 0x4000) return 2;
  if (zigzagged < 0x200000) return 3;
  if (zigzagged < 0x10000000) return 4;
  return 5;
}

/** Zig-zag encoding of a non-negative number below 2^30. */
function zigzag(value: number): number {
  return value * 2;
}

function writeVarint(buffer: Buffer, position: number, zigzagged: number): number {
  while (zigzagged >= 0x80) {
    buffer[position++] = (zigzagged & 0x7f) | 0x80;
    zigzagged = Math.floor(zigzagged / 128);
  }
  buffer[position++] = zigzagged;
  return position;
}

function writeBytes(buffer: Buffer, position: number, bytes: Buffer): number {
  position = writeVarint(buffer, position, zigzag(bytes.length));
  // TypedArray set stays in JavaScript; Buffer copy crosses into C++ for every field.
  buffer.set(bytes, position);
  return position + bytes.length;
}

/** The bytes of one record after its length prefix. */
function recordBodyBytes(record: MqttRecord, timestampDelta: number, offsetDelta: number): number {
  const retain = record.retain ? RETAIN_TRUE : RETAIN_FALSE;
  const headerCount = HEADER_COUNT + (record.extraHeaders?.length ?? 0);
  return 1 // attributes
    + varintBytes(zigzag(timestampDelta))
    + varintBytes(zigzag(offsetDelta))
    + varintBytes(zigzag(record.key.length)) + record.key.length
    + varintBytes(zigzag(record.value.length)) + record.value.length
    + varintBytes(zigzag(headerCount))
    + HEADER_NAMES_BYTES
    + varintBytes(zigzag(record.topic.length)) + record.topic.length
    + 2 // the qos value: length 1, one byte
    + 1 + retain.length
    + varintBytes(zigzag(record.clientId.length)) + record.clientId.length
    + extraHeaderBytes(record.extraHeaders);
}

/** One uncompressed RecordBatch v2 holding `records` in order; base offset 0, for the log to assign. */
export function encodeMqttRecordBatch(records: readonly MqttRecord[]): Buffer {
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  let baseTimestamp = records[0]!.timestampMs;
  let maxTimestamp = baseTimestamp;
  for (const record of records) {
    if (record.timestampMs < baseTimestamp) baseTimestamp = record.timestampMs;
    if (record.timestampMs > maxTimestamp) maxTimestamp = record.timestampMs;
  }
  const bodySizes = new Array<number>(records.length);
  let size = RECORD_BATCH_HEADER_BYTES;
  for (let index = 0; index < records.length; index++) {
    const body = recordBodyBytes(records[index]!, records[index]!.timestampMs - baseTimestamp, index);
    bodySizes[index] = body;
    size += varintBytes(zigzag(body)) + body;
  }

  const batch = Buffer.allocUnsafe(size);
  let position = RECORD_BATCH_HEADER_BYTES;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    position = writeVarint(batch, position, zigzag(bodySizes[index]!));
    batch[position++] = 0; // attributes
    position = writeVarint(batch, position, zigzag(record.timestampMs - baseTimestamp));
    position = writeVarint(batch, position, zigzag(index));
    position = writeBytes(batch, position, record.key);
    position = writeBytes(batch, position, record.value);
    position = writeVarint(batch, position, zigzag(HEADER_COUNT + (record.extraHeaders?.length ?? 0)));
    position = writeBytes(batch, position, TOPIC_HEADER);
    position = writeBytes(batch, position, record.topic);
    position = writeBytes(batch, position, QOS_HEADER);
    position = writeBytes(batch, position, QOS_VALUES[record.qos] ?? QOS_VALUES[0]!);
    position = writeBytes(batch, position, RETAIN_HEADER);
    position = writeBytes(batch, position, record.retain ? RETAIN_TRUE : RETAIN_FALSE);
    position = writeBytes(batch, position, CLIENT_ID_HEADER);
    position = writeBytes(batch, position, record.clientId);
    if (record.extraHeaders !== undefined) {
      for (const [name, value] of record.extraHeaders) {
        position = writeBytes(batch, position, name);
        position = writeBytes(batch, position, value);
      }
    }
  }
  if (position !== size) throw new Error(`assertion failed: MQTT record batch sized ${size} bytes but ${position} written`);

  batch.writeBigInt64BE(0n, BatchField.baseOffset);
  batch.writeInt32BE(size - RECORD_BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(NO_PARTITION_LEADER_EPOCH, BatchField.partitionLeaderEpoch);
  batch.writeInt8(RECORD_BATCH_MAGIC, BatchField.magic);
  batch.writeInt16BE(0, BatchField.attributes); // no compression, CreateTime
  batch.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(BigInt(baseTimestamp), BatchField.baseTimestamp);
  batch.writeBigInt64BE(BigInt(maxTimestamp), BatchField.maxTimestamp);
  batch.writeBigInt64BE(NO_PRODUCER_ID, BatchField.producerId);
  batch.writeInt16BE(NO_PRODUCER_EPOCH, BatchField.producerEpoch);
  batch.writeInt32BE(NO_SEQUENCE, BatchField.baseSequence);
  batch.writeInt32BE(records.length, BatchField.recordCount);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, size), BatchField.crc);
  return batch;
}

/** Bytes of a record beyond its key, value, MQTT topic and client id, at most. */
export const MQTT_RECORD_FIXED_BYTES_MAX = HEADER_NAMES_BYTES
  + 5 // length prefix
  + 1 // attributes
  + 5 + 5 // timestamp and offset deltas
  + 4 * 5 // length prefixes of key, value, topic, client id
  + 1 // header count
  + 2 // qos value and its length
  + 1 + RETAIN_FALSE.length;
