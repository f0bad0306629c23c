// How a record is shown to an operator, by `tributary consume` and by the web console:
// the value decoded from its payload format (CBOR, SenML, JSON) into JSON, keys and
// headers as text when they are UTF-8, as base64 when they are not.
import { decodeCbor, decodeJson, decodePayloadToJson, decodeSenmlCbor, decodeSenmlJson, sniffPayloadFormat, toJsonSafe } from './payloads.ts';
import { TributaryError } from './errors.ts';

export const DECODE_MODES = ['auto', 'cbor', 'senml', 'json', 'none'] as const;
export type DecodeMode = (typeof DECODE_MODES)[number];

export interface RecordHeader {
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** One record as read from the log, whatever client or store it came from. */
export interface RecordData {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: readonly RecordHeader[];
}

/** A record as JSON: offsets and timestamps as strings so that no precision is lost. */
export interface RecordJson {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  /** ISO 8601, for people. */
  time: string | null;
  key: unknown;
  headers: Record<string, unknown>;
  /** The format the value was read as (cbor, senml-cbor, json, text, binary, …), or "invalid". */
  valueFormat: string;
  value: unknown;
  /** Why the value could not be decoded in the format asked for. */
  decodeError?: string;
}

export function parseDecodeMode(text: string): DecodeMode {
  if ((DECODE_MODES as readonly string[]).includes(text)) return text as DecodeMode;
  throw new TributaryError('CLI_OPTION_INVALID', `--decode must be one of ${DECODE_MODES.join(', ')}, not "${text}"`);
}

export interface DecodedValue {
  format: string;
  value: unknown;
  error?: string;
}

/** Decodes a payload as `mode` says; a payload that is not in that format comes back with `error` set. */
export function decodeValue(payload: Uint8Array | null, mode: DecodeMode): DecodedValue {
  if (payload === null) return { format: 'null', value: null };
  try {
    switch (mode) {
      case 'auto':
        return { format: sniffPayloadFormat(payload), value: decodePayloadToJson(payload) };
      case 'json':
        return { format: 'json', value: toJsonSafe(decodeJson(payload)) };
      case 'cbor':
        return { format: 'cbor', value: toJsonSafe(decodeCbor(payload)) };
      case 'senml': {
        // SenML travels as JSON or as CBOR (RFC 8428 sections 5 and 6); the first byte tells which.
        const sniffed = sniffPayloadFormat(payload);
        const records = sniffed === 'senml-json' || sniffed === 'json' || sniffed === 'text' ? decodeSenmlJson(payload) : decodeSenmlCbor(payload);
        const shown = records.map((record) => (record.vd instanceof Uint8Array ? { ...record, vd: Buffer.from(record.vd).toString('base64url') } : record));
        return { format: sniffed === 'senml-json' ? 'senml-json' : 'senml-cbor', value: toJsonSafe(shown) };
      }
      case 'none':
        return { format: 'bytes', value: textOrBase64(payload) };
    }
  } catch (error) {
    return { format: 'invalid', value: { base64: Buffer.from(payload).toString('base64') }, error: (error as Error).message };
  }
}

/** UTF-8 text as a string, anything else as {"base64": "…"}. */
export function textOrBase64(bytes: Uint8Array | null): unknown {
  if (bytes === null) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') };
  }
}

export function recordToJson(record: RecordData, mode: DecodeMode): RecordJson {
  const decoded = decodeValue(record.value, mode);
  const headers: Record<string, unknown> = {};
  for (const header of record.headers) {
    const name = header.key === null ? '' : Buffer.from(header.key).toString('utf8');
    headers[name] = textOrBase64(header.value);
  }
  const milliseconds = Number(record.timestamp);
  const json: RecordJson = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp.toString(),
    time: milliseconds >= 0 && Number.isSafeInteger(milliseconds) ? new Date(milliseconds).toISOString() : null,
    key: textOrBase64(record.key),
    headers,
    valueFormat: decoded.format,
    value: decoded.value,
  };
  if (decoded.error !== undefined) json.decodeError = decoded.error;
  return json;
}

/**
 * The value alone, as one line of text: JSON for structured payloads, the text itself for
 * text payloads, the raw bytes with --decode none. Null when the value cannot be decoded
 * in the format asked for (the caller reports it).
 */
export function valueLine(record: RecordData, mode: DecodeMode): { line: Uint8Array | string; error?: string } {
  if (record.value === null) return { line: 'null' };
  if (mode === 'none') return { line: record.value };
  const decoded = decodeValue(record.value, mode);
  if (decoded.error !== undefined) return { line: '', error: decoded.error };
  if (decoded.format === 'text') return { line: decoded.value as string };
  return { line: JSON.stringify(decoded.value) };
}
