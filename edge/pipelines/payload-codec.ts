// Input values decoded with the project's payload decoders (shared/payloads.ts), output
// values encoded as JSON or CBOR. A SenML pack becomes one object of its records' values
// by name, so that `temp` means the record named temp: [{"n":"temp","v":21.5},
// {"n":"hum","v":40}] is {"temp": 21.5, "hum": 40}.
import { decodeCbor, decodeJson, decodeSenmlCbor, decodeSenmlJson, encodeCbor, type SenmlRecord } from '../../shared/payloads.ts';
import type { PipelineConfig } from '../../shared/config/pipelines-schema.ts';

export type InputFormat = PipelineConfig['decode'];
export type OutputFormat = PipelineConfig['encode'];

const OPEN_BRACKET = 0x5b;

export function decodeValue(payload: Buffer, format: InputFormat): unknown {
  switch (format) {
    case 'json': return decodeJson(payload);
    case 'cbor': return decodeCbor(payload);
    case 'senml-json': return senmlFields(decodeSenmlJson(payload));
    case 'senml-cbor': return senmlFields(decodeSenmlCbor(payload));
    case 'senml': return senmlFields(firstNonSpace(payload) === OPEN_BRACKET ? decodeSenmlJson(payload) : decodeSenmlCbor(payload));
    case 'raw': return payload.toString('utf8');
  }
}

function firstNonSpace(payload: Buffer): number | undefined {
  for (const byte of payload) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  return undefined;
}

/** The pack's values by record name (the base name where a record has none); a later record of the same name wins. */
export function senmlFields(records: readonly SenmlRecord[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const record of records) {
    const name = record.n ?? record.bn;
    if (name === undefined || name === '') continue;
    fields[name] = record.v ?? record.vs ?? record.vb ?? record.s ?? (record.vd === undefined ? null : Buffer.from(record.vd).toString('base64url'));
  }
  return fields;
}

export function encodeValue(value: unknown, format: OutputFormat): Buffer {
  if (format === 'cbor') return encodeCbor(value);
  // Large integers from CBOR inputs are written as JSON numbers where they fit, as text otherwise.
  return Buffer.from(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? (Number.isSafeInteger(Number(item)) ? Number(item) : item.toString()) : item)), 'utf8');
}
