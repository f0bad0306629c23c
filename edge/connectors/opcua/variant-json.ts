// An OPC UA variant's value as JSON. node-opcua gives numbers, booleans, strings, Dates,
// Buffers (ByteString), typed arrays, [high, low] pairs for Int64 and UInt64 (OPC UA Part
// 6, 5.2.2.2), and objects for the structured built-in types (LocalizedText, QualifiedName,
// NodeId, ExtensionObject), each with its own JSON form.
import { DataType } from 'node-opcua-client';
import { jsonInteger } from '../runtime/json-integer.ts';

export function variantJson(value: unknown, dataType: DataType): unknown {
  if (value === null || value === undefined) return null;
  if ((dataType === DataType.Int64 || dataType === DataType.UInt64) && Array.isArray(value) && value.length === 2 && typeof value[0] === 'number') {
    const bits = (BigInt(value[0] >>> 0) << 32n) | BigInt(value[1] >>> 0);
    return jsonInteger(dataType === DataType.Int64 ? BigInt.asIntN(64, bits) : bits);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return jsonInteger(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (element) => variantJson(element, dataType));
  if (Array.isArray(value)) return value.map((element) => variantJson(element, dataType));
  const structured = value as { text?: unknown; name?: unknown; toJSON?: () => unknown; toString(): string };
  if (dataType === DataType.LocalizedText) return structured.text ?? null;
  if (dataType === DataType.QualifiedName) return structured.name ?? null;
  if (dataType === DataType.NodeId || dataType === DataType.ExpandedNodeId || dataType === DataType.Guid) return structured.toString();
  if (typeof structured.toJSON === 'function') return JSON.parse(JSON.stringify(structured.toJSON(), (_key, item) => (typeof item === 'bigint' ? item.toString() : item)));
  return structured.toString();
}
