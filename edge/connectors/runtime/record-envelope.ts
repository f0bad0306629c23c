// A record as the sinks hand it to the outside world: one JSON object with its coordinates,
// {"topic","partition","offset","key","value","headers","timestamp"}. Keys, values and
// header values are text where they are UTF-8 and {"base64": "…"} where they are not (as
// `tributary consume` shows them). The coordinates name a record uniquely and for ever, so
// a receiver can drop a record it has seen before.
import { textOrBase64 } from '../../../shared/record-view.ts';
import type { RecordData } from './log-access.ts';

export interface RecordEnvelope {
  topic: string;
  partition: number;
  /** A JSON number: an edge log's offsets stay far below 2^53. */
  offset: number;
  key: unknown;
  value: unknown;
  headers: Record<string, unknown>;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
}

export function recordEnvelope(record: RecordData): RecordEnvelope {
  const headers: Record<string, unknown> = {};
  for (const header of record.headers) headers[header.key === null ? '' : Buffer.from(header.key).toString('utf8')] = textOrBase64(header.value);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    key: textOrBase64(record.key),
    value: textOrBase64(record.value),
    headers,
    timestamp: Number(record.timestamp),
  };
}
