// Sensor payload formats: plain JSON, plain CBOR (RFC 8949), and SenML (RFC 8428) in its
// JSON and CBOR representations. The edge CLI and console show any payload as JSON with
// `decodePayloadToJson`, which recognises the format from the bytes; the device simulator
// uses the encoders.
import { Encoder } from 'cbor-x';
import { TributaryError } from './errors.ts';

export const PAYLOAD_FORMATS = ['json', 'cbor', 'senml-json', 'senml-cbor'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** Media types of the formats (RFC 8428 section 12.3 for SenML). */
export const PAYLOAD_MEDIA_TYPES: Record<PayloadFormat, string> = {
  json: 'application/json',
  cbor: 'application/cbor',
  'senml-json': 'application/senml+json',
  'senml-cbor': 'application/senml+cbor',
};

/** One SenML record with the labels of RFC 8428 section 4. Extension labels are strings. */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  bu?: string;
  bv?: number;
  bs?: number;
  bver?: number;
  n?: string;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  /** Data value: bytes. In SenML-JSON it travels as base64url without padding. */
  vd?: Uint8Array;
  s?: number;
  t?: number;
  ut?: number;
  [extension: string]: unknown;
}

/**
 * The integer labels SenML-CBOR uses instead of names (RFC 8428 section 6, Table 4).
 * The table is closed: extensions use string labels.
 */
const SENML_CBOR_LABELS = {
  bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -16,
  n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8,
} as const;
type SenmlLabel = keyof typeof SENML_CBOR_LABELS;
const SENML_NAMES_BY_CBOR_LABEL = new Map<number, SenmlLabel>(
  Object.entries(SENML_CBOR_LABELS).map(([name, label]) => [label, name as SenmlLabel]),
);
const SENML_LABEL_TYPES: Record<SenmlLabel, 'string' | 'number' | 'boolean' | 'bytes'> = {
  bn: 'string', bt: 'number', bu: 'string', bv: 'number', bs: 'number', bver: 'number',
  n: 'string', u: 'string', v: 'number', vs: 'string', vb: 'boolean', vd: 'bytes', s: 'number', t: 'number', ut: 'number',
};

/** Records in one SenML pack at most; a pack bigger than this is not a sensor reading. */
const SENML_RECORDS_MAX = 10_000;

// Plain RFC 8949 CBOR: no cbor-x record extension (tag 105) and no typed-array tags, so
// any CBOR decoder can read what we write; map sizes as small as the content allows.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(utf8Strict(payload)) as unknown;
  } catch (error) {
    throw invalid('json', error);
  }
}

export function encodeCbor(value: unknown): Buffer {
  return cbor.encode(value);
}

/** Decodes exactly one CBOR item; trailing bytes are an error. Maps with non-string keys come back as `Map`. */
export function decodeCbor(payload: Uint8Array): unknown {
  try {
    return cbor.decode(payload) as unknown;
  } catch (error) {
    throw invalid('cbor', error);
  }
}

export function encodeSenmlJson(records: readonly SenmlRecord[]): Buffer {
  return encodeJson(records.map((record) => {
    const json: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined) continue;
      json[name] = name === 'vd' && value instanceof Uint8Array ? Buffer.from(value).toString('base64url') : value;
    }
    return json;
  }));
}

export function decodeSenmlJson(payload: Uint8Array): SenmlRecord[] {
  const pack = decodeJson(payload);
  return checkPack(pack, 'senml-json', (entry) => {
    if (!isPlainObject(entry)) return null;
    const record: SenmlRecord = {};
    for (const [name, value] of Object.entries(entry)) {
      // [RFC 8428 section 6] vd is base64url in JSON and bytes everywhere else.
      record[name] = name === 'vd' && typeof value === 'string' ? Buffer.from(value, 'base64url') : value;
    }
    return record;
  });
}

export function encodeSenmlCbor(records: readonly SenmlRecord[]): Buffer {
  return cbor.encode(records.map((record) => {
    const map = new Map<number | string, unknown>();
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined) continue;
      map.set(name in SENML_CBOR_LABELS ? SENML_CBOR_LABELS[name as SenmlLabel] : name, value);
    }
    return map;
  }));
}

export function decodeSenmlCbor(payload: Uint8Array): SenmlRecord[] {
  const pack = decodeCbor(payload);
  return checkPack(pack, 'senml-cbor', (entry) => {
    const pairs = entry instanceof Map ? [...entry.entries()] : isPlainObject(entry) ? Object.entries(entry) : null;
    if (pairs === null) return null;
    const record: SenmlRecord = {};
    for (const [key, value] of pairs) {
      const name = typeof key === 'number' ? SENML_NAMES_BY_CBOR_LABEL.get(key) : typeof key === 'string' && !(key in SENML_CBOR_LABELS) ? key : undefined;
      // Names instead of integer labels for the core fields would not be SenML-CBOR.
      if (name === undefined) return null;
      record[name] = value;
    }
    return record;
  });
}

/** Encodes `value` in `format`; SenML formats take an array of records. */
export function encodePayload(value: unknown, format: PayloadFormat): Buffer {
  switch (format) {
    case 'json': return encodeJson(value);
    case 'cbor': return encodeCbor(value);
    case 'senml-json': return encodeSenmlJson(value as SenmlRecord[]);
    case 'senml-cbor': return encodeSenmlCbor(value as SenmlRecord[]);
  }
}

export function decodePayload(payload: Uint8Array, format: PayloadFormat): unknown {
  switch (format) {
    case 'json': return decodeJson(payload);
    case 'cbor': return decodeCbor(payload);
    case 'senml-json': return decodeSenmlJson(payload);
    case 'senml-cbor': return decodeSenmlCbor(payload);
  }
}

export type SniffedFormat = PayloadFormat | 'text' | 'binary';

/**
 * Recognises a payload's format from its bytes: JSON text first (SenML when it is a valid
 * SenML pack), then a single CBOR item (SenML when its maps use SenML's integer labels),
 * then UTF-8 text; anything else is binary.
 */
export function sniffPayloadFormat(payload: Uint8Array): SniffedFormat {
  return sniff(payload).format;
}

/**
 * Shows any payload as a JSON-safe value: SenML packs as records with their label names
 * (and vd as base64url), CBOR maps as objects, byte strings as base64, large integers as
 * strings, text as a string, and unknown bytes as {"base64": "..."}.
 */
export function decodePayloadToJson(payload: Uint8Array): unknown {
  const { format, value } = sniff(payload);
  switch (format) {
    case 'senml-json':
    case 'senml-cbor':
      return toJsonSafe((value as SenmlRecord[]).map((record) => {
        const shown: Record<string, unknown> = { ...record };
        if (record.vd instanceof Uint8Array) shown.vd = Buffer.from(record.vd).toString('base64url');
        return shown;
      }));
    case 'json':
    case 'cbor':
    case 'text':
      return toJsonSafe(value);
    case 'binary':
      return { base64: Buffer.from(payload).toString('base64') };
  }
}

function sniff(payload: Uint8Array): { format: SniffedFormat; value: unknown } {
  const text = utf8OrNull(payload);
  if (text !== null && /^\s*[[{"\-\d tfn]/.test(text)) {
    try {
      const value = JSON.parse(text) as unknown;
      try {
        return { format: 'senml-json', value: decodeSenmlJson(payload) };
      } catch {
        return { format: 'json', value };
      }
    } catch {
      // Not JSON: try CBOR next.
    }
  }
  if (payload.length > 0) {
    try {
      const value = cbor.decode(payload) as unknown;
      // A short piece of text can also parse as a CBOR integer or string; text wins then,
      // since a device that sends CBOR sends maps and arrays.
      if (text === null || Array.isArray(value) || value instanceof Map || isPlainObject(value)) {
        try {
          return { format: 'senml-cbor', value: decodeSenmlCbor(payload) };
        } catch {
          return { format: 'cbor', value };
        }
      }
    } catch {
      // Not CBOR either.
    }
  }
  if (text !== null) return { format: 'text', value: text };
  return { format: 'binary', value: payload };
}

/** Converts decoded CBOR to values JSON can carry. */
export function toJsonSafe(value: unknown, depth = 0): unknown {
  // CBOR nesting deeper than this is not a sensor payload; stop rather than overflow the stack.
  const depthMax = 64;
  if (depth > depthMax) return null;
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((item) => toJsonSafe(item, depth + 1));
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value) object[String(key)] = toJsonSafe(item, depth + 1);
    return object;
  }
  if (value instanceof Set) return [...value].map((item) => toJsonSafe(item, depth + 1));
  if (typeof value === 'object') {
    const object: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) object[key] = toJsonSafe(item, depth + 1);
    return object;
  }
  return String(value);
}

function checkPack(pack: unknown, format: PayloadFormat, toRecord: (entry: unknown) => SenmlRecord | null): SenmlRecord[] {
  // [RFC 8428 section 4] A SenML pack is an array of records.
  if (!Array.isArray(pack) || pack.length === 0) throw invalid(format, new Error('a SenML pack is a non-empty array of records'));
  if (pack.length > SENML_RECORDS_MAX) throw invalid(format, new Error(`a SenML pack of ${pack.length} records exceeds ${SENML_RECORDS_MAX}`));
  return pack.map((entry, index) => {
    const record = toRecord(entry);
    if (record === null) throw invalid(format, new Error(`record ${index} is not a SenML record`));
    let hasSenmlLabel = false;
    for (const [name, value] of Object.entries(record)) {
      const expected = SENML_LABEL_TYPES[name as SenmlLabel];
      if (expected === undefined) continue;
      hasSenmlLabel = true;
      const ok = expected === 'bytes' ? value instanceof Uint8Array : expected === 'number' ? typeof value === 'number' || typeof value === 'bigint' : typeof value === expected;
      if (!ok) throw invalid(format, new Error(`record ${index}: "${name}" must be a ${expected}`));
      if (typeof value === 'bigint') record[name] = Number(value);
    }
    if (!hasSenmlLabel) throw invalid(format, new Error(`record ${index} has no SenML label`));
    return record;
  });
}

function invalid(format: PayloadFormat, cause: unknown): TributaryError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TributaryError('PAYLOAD_INVALID', `payload is not valid ${format}: ${reason}`, { format }, { cause });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Strict(payload: Uint8Array): string {
  return strictUtf8.decode(payload);
}

function utf8OrNull(payload: Uint8Array): string | null {
  try {
    const text = strictUtf8.decode(payload);
    // Control characters other than whitespace mean binary data that happens to be valid UTF-8.
    return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Uint8Array);
}
