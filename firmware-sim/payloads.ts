// What a simulated device sends: one reading per message, in one of four formats. Every
// payload carries the device id and a per-device sequence number, so a test can account
// for each message end to end.
//
//   json, cbor    {"device":"dev-00001","seq":17,"metric":"temperature","unit":"Cel","value":21.37,"time":1712345678901}
//   senml-*       [{"bn":"dev-00001/","bt":1712345678.901,"n":"temperature","u":"Cel","v":21.37},{"n":"seq","v":17}]
//
// SenML-CBOR uses the integer labels of RFC 8428 section 6; SenML times are seconds.
import { TributaryError } from '../shared/errors.ts';
import { decodePayload, encodePayload, sniffPayloadFormat, type PayloadFormat, type SenmlRecord } from '../shared/payloads.ts';

export {
  PAYLOAD_FORMATS,
  PAYLOAD_MEDIA_TYPES,
  decodeCbor,
  decodeJson,
  decodePayload,
  decodePayloadToJson,
  decodeSenmlCbor,
  decodeSenmlJson,
  encodeCbor,
  encodeJson,
  encodePayload,
  encodeSenmlCbor,
  encodeSenmlJson,
  sniffPayloadFormat,
  type PayloadFormat,
  type SenmlRecord,
} from '../shared/payloads.ts';

export interface Reading {
  deviceId: string;
  /** Per device, counting from 1, one per message published. */
  sequence: number;
  metric: string;
  /** SenML unit (RFC 8428 section 12.1), for example Cel, %RH, Pa, V. */
  unit: string;
  value: number;
  /** The device's own clock, in milliseconds since the epoch; it may be skewed. */
  timeMs: number;
}

/** The SenML record name that carries the sequence number. */
const SEQUENCE_NAME = 'seq';

export function encodeReading(reading: Reading, format: PayloadFormat): Buffer {
  if (format === 'json' || format === 'cbor') {
    return encodePayload({ device: reading.deviceId, seq: reading.sequence, metric: reading.metric, unit: reading.unit, value: reading.value, time: reading.timeMs }, format);
  }
  const records: SenmlRecord[] = [
    { bn: `${reading.deviceId}/`, bt: reading.timeMs / 1000, n: reading.metric, u: reading.unit, v: reading.value },
    { n: SEQUENCE_NAME, v: reading.sequence },
  ];
  return encodePayload(records, format);
}

/** Decodes a reading written by `encodeReading`; without a format, recognises it from the bytes. */
export function decodeReading(payload: Uint8Array, format?: PayloadFormat): Reading {
  const actual = format ?? sniffed(payload);
  const value = decodePayload(payload, actual);
  if (actual === 'json' || actual === 'cbor') {
    const object = value instanceof Map ? Object.fromEntries(value) : value;
    if (typeof object !== 'object' || object === null) throw notAReading(actual, 'it is not a map');
    const { device, seq, metric, unit, value: reading, time } = object as Record<string, unknown>;
    if (typeof device !== 'string' || typeof metric !== 'string' || typeof unit !== 'string') throw notAReading(actual, 'device, metric and unit must be strings');
    return { deviceId: device, sequence: numberOf(seq, 'seq', actual), metric, unit, value: numberOf(reading, 'value', actual), timeMs: numberOf(time, 'time', actual) };
  }
  const [measurement, sequence] = value as SenmlRecord[];
  if (measurement === undefined || sequence === undefined || sequence.n !== SEQUENCE_NAME) throw notAReading(actual, 'expected a measurement record and a "seq" record');
  const baseName = measurement.bn ?? '';
  if (!baseName.endsWith('/') || measurement.n === undefined) throw notAReading(actual, 'the base name must be "<device>/" and the record must have a name');
  return {
    deviceId: baseName.slice(0, -1),
    sequence: numberOf(sequence.v, 'seq', actual),
    metric: measurement.n,
    unit: measurement.u ?? '',
    value: numberOf(measurement.v, 'v', actual),
    // Milliseconds are what the device had; seconds as a double round-trip them only to
    // within a fraction of a millisecond.
    timeMs: Math.round(numberOf(measurement.bt, 'bt', actual) * 1000),
  };
}

function sniffed(payload: Uint8Array): PayloadFormat {
  const format = sniffPayloadFormat(payload);
  if (format === 'text' || format === 'binary') throw notAReading(format, 'the format is not one a device sends');
  return format;
}

function numberOf(value: unknown, field: string, format: string): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw notAReading(format, `"${field}" must be a number`);
  return value;
}

function notAReading(format: string, reason: string): TributaryError {
  return new TributaryError('PAYLOAD_INVALID', `payload is not a device reading in ${format}: ${reason}`, { format });
}
