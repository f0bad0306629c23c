// The Sparkplug B payload schema (Sparkplug 3.0.0, 6.4 "Google Protocol Buffer Schema",
// package org.eclipse.tahu.protobuf), as a protobufjs JSON descriptor: the same messages,
// field numbers and types as the specification's sparkplug_b.proto. Extension ranges are
// left out: their fields are skipped when decoding, as protobuf skips unknown fields.
import protobuf from 'protobufjs/light.js';

const scalar = (type: string, id: number) => ({ type, id });
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

/** The basic value fields several messages share, numbered from `firstId` in the schema's order. */
const BASIC_VALUES = ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue'];
const BASIC_TYPES = ['uint32', 'uint64', 'float', 'double', 'bool', 'string'];
const basicValueFields = (firstId: number) => Object.fromEntries(BASIC_VALUES.map((name, index) => [name, scalar(BASIC_TYPES[index]!, firstId + index)]));

// proto2, as the specification's file says: a field sent with its default (seq 0 in an
// NBIRTH) is present, one not sent is absent.
const descriptor = {
  nested: {
    Payload: {
      fields: {
        timestamp: scalar('uint64', 1),
        metrics: repeated('Metric', 2),
        seq: scalar('uint64', 3),
        uuid: scalar('string', 4),
        body: scalar('bytes', 5),
      },
      nested: {
        Template: {
          oneofs: {},
          fields: {
            version: scalar('string', 1),
            metrics: repeated('Metric', 2),
            parameters: repeated('Parameter', 3),
            templateRef: scalar('string', 4),
            isDefinition: scalar('bool', 5),
          },
          nested: {
            Parameter: {
              oneofs: { value: { oneof: BASIC_VALUES } },
              fields: { name: scalar('string', 1), type: scalar('uint32', 2), ...basicValueFields(3) },
            },
          },
        },
        DataSet: {
          fields: {
            numOfColumns: scalar('uint64', 1),
            columns: repeated('string', 2),
            types: repeated('uint32', 3),
            rows: repeated('Row', 4),
          },
          nested: {
            DataSetValue: {
              oneofs: { value: { oneof: BASIC_VALUES } },
              fields: basicValueFields(1),
            },
            Row: { fields: { elements: repeated('DataSetValue', 1) } },
          },
        },
        PropertyValue: {
          oneofs: { value: { oneof: [...BASIC_VALUES, 'propertysetValue', 'propertysetsValue'] } },
          fields: {
            type: scalar('uint32', 1),
            isNull: scalar('bool', 2),
            ...basicValueFields(3),
            propertysetValue: scalar('PropertySet', 9),
            propertysetsValue: scalar('PropertySetList', 10),
          },
        },
        PropertySet: { fields: { keys: repeated('string', 1), values: repeated('PropertyValue', 2) } },
        PropertySetList: { fields: { propertyset: repeated('PropertySet', 1) } },
        MetaData: {
          fields: {
            isMultiPart: scalar('bool', 1),
            contentType: scalar('string', 2),
            size: scalar('uint64', 3),
            seq: scalar('uint64', 4),
            fileName: scalar('string', 5),
            fileType: scalar('string', 6),
            md5: scalar('string', 7),
            description: scalar('string', 8),
          },
        },
        Metric: {
          oneofs: { value: { oneof: [...BASIC_VALUES, 'bytesValue', 'datasetValue', 'templateValue'] } },
          fields: {
            name: scalar('string', 1),
            alias: scalar('uint64', 2),
            timestamp: scalar('uint64', 3),
            datatype: scalar('uint32', 4),
            isHistorical: scalar('bool', 5),
            isTransient: scalar('bool', 6),
            isNull: scalar('bool', 7),
            metadata: scalar('MetaData', 8),
            properties: scalar('PropertySet', 9),
            ...basicValueFields(10),
            bytesValue: scalar('bytes', 16),
            datasetValue: scalar('DataSet', 17),
            templateValue: scalar('Template', 18),
          },
        },
      },
    },
  },
};

/** Each message type says its edition itself: protobufjs does not carry the root's down to nested types. */
function proto2(node: Record<string, unknown>): Record<string, unknown> {
  const nested = node.nested as Record<string, Record<string, unknown>> | undefined;
  return { ...node, edition: 'proto2', ...(nested ? { nested: Object.fromEntries(Object.entries(nested).map(([name, child]) => [name, proto2(child)])) } : {}) };
}

const PayloadType = protobuf.Root.fromJSON(proto2(descriptor)).lookupType('Payload');

/** A 64-bit field as protobufjs gives it: a Long when the long package is there, else a number. */
export type Int64 = number | { low: number; high: number; unsigned: boolean; toString(): string };

export interface RawPropertyValue { type?: number; isNull?: boolean; intValue?: number; longValue?: Int64; floatValue?: number; doubleValue?: number; booleanValue?: boolean; stringValue?: string; propertysetValue?: RawPropertySet; propertysetsValue?: { propertyset?: RawPropertySet[] } }
export interface RawPropertySet { keys?: string[]; values?: RawPropertyValue[] }
export interface RawDataSetValue { intValue?: number; longValue?: Int64; floatValue?: number; doubleValue?: number; booleanValue?: boolean; stringValue?: string }
export interface RawDataSet { numOfColumns?: Int64; columns?: string[]; types?: number[]; rows?: { elements?: RawDataSetValue[] }[] }
export interface RawParameter extends RawDataSetValue { name?: string; type?: number }
export interface RawTemplate { version?: string; metrics?: RawMetric[]; parameters?: RawParameter[]; templateRef?: string; isDefinition?: boolean }
export interface RawMetric {
  name?: string; alias?: Int64; timestamp?: Int64; datatype?: number;
  isHistorical?: boolean; isTransient?: boolean; isNull?: boolean;
  metadata?: Record<string, unknown>; properties?: RawPropertySet;
  intValue?: number; longValue?: Int64; floatValue?: number; doubleValue?: number; booleanValue?: boolean;
  stringValue?: string; bytesValue?: Uint8Array; datasetValue?: RawDataSet; templateValue?: RawTemplate;
}
export interface RawPayload { timestamp?: Int64; metrics?: RawMetric[]; seq?: Int64; uuid?: string; body?: Uint8Array }

/** Decodes a Sparkplug B payload; throws when the bytes are not one. */
export function decodeRawPayload(bytes: Uint8Array): RawPayload {
  const message = PayloadType.decode(bytes);
  // Fields not sent stay absent (proto2 optional), instead of taking their type's default.
  return PayloadType.toObject(message, { defaults: false, arrays: false, longs: undefined }) as RawPayload;
}
