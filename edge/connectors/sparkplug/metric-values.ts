// A Sparkplug B metric's value as JSON, by its datatype (Sparkplug 3.0.0, 6.4.16 "Data
// Types"): signed integers are carried in unsigned protobuf fields and read back as two's
// complement; 64-bit integers beyond 2^53 become decimal strings; Bytes and File become
// {"base64": …}; arrays are unpacked from bytes_value (little-endian, 6.4.17); DataSets
// become {columns, types, rows} and Templates their metrics, each decoded the same way.
import { jsonInteger } from '../runtime/json-integer.ts';
import type { Int64, RawDataSet, RawDataSetValue, RawMetric, RawPropertySet, RawTemplate } from './sparkplug-proto.ts';

/** Sparkplug datatype numbers by name (6.4.16), the names used in records. */
export const DATATYPES = [
  'Unknown', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float', 'Double', 'Boolean', 'String',
  'DateTime', 'Text', 'UUID', 'DataSet', 'Bytes', 'File', 'Template', 'PropertySet', 'PropertySetList', 'Int8Array', 'Int16Array',
  'Int32Array', 'Int64Array', 'UInt8Array', 'UInt16Array', 'UInt32Array', 'UInt64Array', 'FloatArray', 'DoubleArray', 'BooleanArray',
  'StringArray', 'DateTimeArray',
] as const;

export type DatatypeName = (typeof DATATYPES)[number];

export function datatypeName(datatype: number | undefined): DatatypeName | undefined {
  return datatype === undefined ? undefined : DATATYPES[datatype];
}

/** The 64 bits of a protobuf 64-bit field, unsigned. */
export function int64Bits(value: Int64): bigint {
  if (typeof value === 'number') return BigInt.asUintN(64, BigInt(value));
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

export function int64Number(value: Int64 | undefined): number | string | undefined {
  return value === undefined ? undefined : jsonInteger(int64Bits(value));
}

type Scalar = Pick<RawDataSetValue, 'intValue' | 'longValue' | 'floatValue' | 'doubleValue' | 'booleanValue' | 'stringValue'>;

/** A value of a basic datatype from whichever oneof field carries it. */
function scalarValue(raw: Scalar, datatype: DatatypeName | undefined): unknown {
  if (raw.intValue !== undefined) {
    const bits = raw.intValue >>> 0;
    switch (datatype) {
      case 'Int8': return (bits << 24) >> 24;
      case 'Int16': return (bits << 16) >> 16;
      case 'Int32': return bits | 0;
      default: return bits;
    }
  }
  if (raw.longValue !== undefined) {
    const bits = int64Bits(raw.longValue);
    return jsonInteger(datatype === 'Int64' ? BigInt.asIntN(64, bits) : bits);
  }
  if (raw.floatValue !== undefined) return Number.isFinite(raw.floatValue) ? raw.floatValue : null;
  if (raw.doubleValue !== undefined) return Number.isFinite(raw.doubleValue) ? raw.doubleValue : null;
  if (raw.booleanValue !== undefined) return raw.booleanValue;
  if (raw.stringValue !== undefined) return raw.stringValue;
  return null;
}

/** The value of a metric, as JSON, given its datatype (from the metric or from its birth). */
export function metricValue(metric: RawMetric, datatype: DatatypeName | undefined): unknown {
  if (metric.isNull) return null;
  if (metric.bytesValue !== undefined) return datatype !== undefined && datatype.endsWith('Array') ? unpackArray(metric.bytesValue, datatype) : { base64: Buffer.from(metric.bytesValue).toString('base64') };
  if (metric.datasetValue !== undefined) return dataSetValue(metric.datasetValue);
  if (metric.templateValue !== undefined) return templateValue(metric.templateValue);
  return scalarValue(metric, datatype);
}

function dataSetValue(dataset: RawDataSet): unknown {
  const types = (dataset.types ?? []).map((type) => datatypeName(type) ?? 'Unknown');
  return {
    columns: dataset.columns ?? [],
    types,
    rows: (dataset.rows ?? []).map((row) => (row.elements ?? []).map((element, index) => scalarValue(element, types[index]))),
  };
}

function templateValue(template: RawTemplate): unknown {
  return {
    ...(template.templateRef !== undefined ? { templateRef: template.templateRef } : {}),
    ...(template.version !== undefined ? { version: template.version } : {}),
    isDefinition: template.isDefinition ?? false,
    parameters: (template.parameters ?? []).map((parameter) => ({ name: parameter.name ?? null, type: datatypeName(parameter.type) ?? null, value: scalarValue(parameter, datatypeName(parameter.type)) })),
    metrics: (template.metrics ?? []).map((metric) => ({ name: metric.name ?? null, type: datatypeName(metric.datatype) ?? null, value: metricValue(metric, datatypeName(metric.datatype)) })),
  };
}

/** A metric's properties (quality, engineering units, …) as a plain object. */
export function propertiesValue(properties: RawPropertySet | undefined): Record<string, unknown> | undefined {
  if (properties?.keys === undefined) return undefined;
  const result: Record<string, unknown> = {};
  properties.keys.forEach((key, index) => {
    const value = properties.values?.[index];
    if (value === undefined) return;
    const type = datatypeName(value.type);
    result[key] = value.isNull ? null : value.propertysetValue !== undefined ? propertiesValue(value.propertysetValue) : value.propertysetsValue !== undefined ? (value.propertysetsValue.propertyset ?? []).map(propertiesValue) : scalarValue(value, type);
  });
  return result;
}

/** Elements packed little-endian in bytes_value (6.4.17); a BooleanArray is a 4-byte count, then bits, first element in the high bit. */
function unpackArray(bytes: Uint8Array, datatype: DatatypeName): unknown[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const each = <T>(size: number, read: (offset: number) => T): T[] => Array.from({ length: Math.floor(buffer.length / size) }, (_, index) => read(index * size));
  switch (datatype) {
    case 'Int8Array': return each(1, (offset) => buffer.readInt8(offset));
    case 'UInt8Array': return each(1, (offset) => buffer.readUInt8(offset));
    case 'Int16Array': return each(2, (offset) => buffer.readInt16LE(offset));
    case 'UInt16Array': return each(2, (offset) => buffer.readUInt16LE(offset));
    case 'Int32Array': return each(4, (offset) => buffer.readInt32LE(offset));
    case 'UInt32Array': return each(4, (offset) => buffer.readUInt32LE(offset));
    case 'Int64Array': return each(8, (offset) => jsonInteger(buffer.readBigInt64LE(offset)));
    case 'UInt64Array': return each(8, (offset) => jsonInteger(buffer.readBigUInt64LE(offset)));
    case 'DateTimeArray': return each(8, (offset) => jsonInteger(buffer.readBigInt64LE(offset)));
    case 'FloatArray': return each(4, (offset) => buffer.readFloatLE(offset));
    case 'DoubleArray': return each(8, (offset) => buffer.readDoubleLE(offset));
    case 'BooleanArray': {
      if (buffer.length < 4) return [];
      const count = Math.min(buffer.readUInt32LE(0), (buffer.length - 4) * 8);
      return Array.from({ length: count }, (_, index) => (buffer[4 + (index >> 3)]! & (0x80 >> (index & 7))) !== 0);
    }
    case 'StringArray': {
      const text = buffer.toString('utf8');
      const parts = text.split('\u0000');
      return text.endsWith('\u0000') ? parts.slice(0, -1) : parts;
    }
    default: return [];
  }
}
