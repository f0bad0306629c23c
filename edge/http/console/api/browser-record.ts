// One record as the message browser shows it: key as text (or hex), every header in order
// with the MQTT ones marked (the broker's own mqtt.* headers: topic, QoS, retain, client
// id, and MQTT 5 properties), and the payload decoded (payload-decoders.ts).
import { MqttHeaders } from '../../../mqtt/index.ts';
import type { RecordData } from '../../../../shared/record-view.ts';
import { hexOf, showPayload, type BrowserDecodeMode, type ShownPayload } from './payload-decoders.ts';

/** Header names that MQTT publishes carry in the log all begin with this. */
const MQTT_HEADER_PREFIX = 'mqtt.';

export interface BrowserRecord {
  partition: number;
  offset: string;
  timestamp: string;
  time: string | null;
  /** The key as text, or null when it is absent or not UTF-8 (then keyHex). */
  key: string | null;
  keyHex?: string;
  headers: { name: string; value: string; mqtt: boolean }[];
  sizeBytes: number;
  payload: ShownPayload;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The record key as text, as the browser's key filter compares it. */
export function keyText(record: RecordData): string | null {
  return text(record.key);
}

export function browserRecord(record: RecordData, mode: BrowserDecodeMode): BrowserRecord {
  const headers = record.headers.map((header) => {
    const name = text(header.key) ?? '';
    return { name, value: text(header.value) ?? (header.value === null ? '' : hexOf(header.value)), mqtt: name.startsWith(MQTT_HEADER_PREFIX) };
  });
  const mqttTopic = headers.find((header) => header.name === MqttHeaders.topic)?.value ?? null;
  const key = keyText(record);
  const milliseconds = Number(record.timestamp);
  const shown: BrowserRecord = {
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp.toString(),
    time: milliseconds >= 0 && Number.isSafeInteger(milliseconds) ? new Date(milliseconds).toISOString() : null,
    key,
    headers,
    sizeBytes: (record.key?.length ?? 0) + (record.value?.length ?? 0),
    payload: showPayload(record.value, mode, mqttTopic),
  };
  if (key === null && record.key !== null) shown.keyHex = hexOf(record.key);
  return shown;
}
