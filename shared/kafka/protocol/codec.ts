// The generic codec: walks a message definition (schema.ts) for one version and reads or
// writes its fields. Flexible versions (KIP-482) use compact lengths (unsigned varint, length
// + 1, 0 for null) and end every struct with a tagged-field section; older versions use int16
// string lengths and int32 bytes and array lengths (-1 for null).
//
// Decoding never trusts a length: each is checked against the bytes that remain and a named
// limit (limits.ts) before anything is allocated, and an array's element count is checked
// against the smallest size its elements can take, so a short frame cannot ask for a large
// array. Encoding checks values against their types, because a value that does not fit is a
// bug in the caller and must not become a corrupt frame.
import { ByteReader, DecodeFailure } from './reader.ts';
import { ByteWriter } from './writer.ts';
import { ARRAY_LENGTH_MAX, BYTES_MAX, STRING_BYTES_MAX, TAGGED_FIELD_COUNT_MAX } from './limits.ts';
import { defaultOf, inVersions } from './schema.ts';
import type { AnyFieldSpec, Fields } from './schema.ts';

const INLINE = 0;
const TAGGED = 1;
const ABSENT = 2;

interface Step {
  readonly name: string;
  readonly field: AnyFieldSpec;
  readonly mode: typeof INLINE | typeof TAGGED | typeof ABSENT;
}

interface StructPlan {
  /** Every field in definition order, with how it travels in this version. */
  readonly steps: readonly Step[];
  /** The tagged fields of this version, by ascending tag. */
  readonly tagged: readonly Step[];
  readonly taggedByTag: ReadonlyMap<number, Step>;
  /** The fewest bytes one encoded struct can take, to bound array lengths. */
  readonly minimumBytes: number;
}

const planCache = new WeakMap<Fields, Map<number, StructPlan>>();

function planOf(fields: Fields, version: number, flexible: boolean): StructPlan {
  let byVersion = planCache.get(fields);
  if (!byVersion) {
    byVersion = new Map();
    planCache.set(fields, byVersion);
  }
  const key = version * 2 + (flexible ? 1 : 0);
  let plan = byVersion.get(key);
  if (!plan) {
    plan = buildPlan(fields, version, flexible);
    byVersion.set(key, plan);
  }
  return plan;
}

function buildPlan(fields: Fields, version: number, flexible: boolean): StructPlan {
  const steps: Step[] = [];
  const tagged: Step[] = [];
  const taggedByTag = new Map<number, Step>();
  let minimumBytes = flexible ? 1 : 0;
  for (const [name, field] of Object.entries(fields)) {
    let mode: Step['mode'] = ABSENT;
    if (inVersions(field.versions, version)) {
      mode = flexible && inVersions(field.taggedVersions, version) ? TAGGED : INLINE;
    }
    const step: Step = { name, field, mode };
    steps.push(step);
    if (mode === INLINE) minimumBytes += minimumBytesOf(field, version, flexible);
    if (mode === TAGGED) {
      if (field.tag === null || taggedByTag.has(field.tag)) {
        throw new Error(`assertion failed: tagged field "${name}" needs a tag of its own`);
      }
      taggedByTag.set(field.tag, step);
      tagged.push(step);
    }
  }
  tagged.sort((a, b) => a.field.tag! - b.field.tag!);
  return { steps, tagged, taggedByTag, minimumBytes };
}

function minimumBytesOf(field: AnyFieldSpec, version: number, flexible: boolean): number {
  switch (field.kind) {
    case 'int8': case 'bool': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': return 4;
    case 'int64': case 'float64': return 8;
    case 'uuid': return 16;
    case 'string': return flexible ? 1 : 2;
    case 'bytes': case 'records': case 'array': return flexible ? 1 : 4;
    case 'struct':
      return inVersions(field.nullableVersions, version) ? 1 : planOf(field.fields!, version, flexible).minimumBytes;
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Reads one struct (or a whole message body) of `version`. */
export function readStruct(reader: ByteReader, fields: Fields, version: number, flexible: boolean): Record<string, unknown> {
  const plan = planOf(fields, version, flexible);
  const value: Record<string, unknown> = {};
  for (const step of plan.steps) {
    if (step.mode !== INLINE) {
      value[step.name] = defaultOf(step.field);
      continue;
    }
    try {
      value[step.name] = readField(reader, step.field, version, flexible);
    } catch (error) {
      if (error instanceof DecodeFailure) error.path.unshift(step.name);
      throw error;
    }
  }
  if (flexible) readTaggedFields(reader, plan, value, version);
  return value;
}

function readTaggedFields(reader: ByteReader, plan: StructPlan, value: Record<string, unknown>, version: number): void {
  const countOffset = reader.offset;
  const count = reader.readUnsignedVarint();
  if (count > TAGGED_FIELD_COUNT_MAX) {
    reader.fail(`tagged field count ${count} exceeds the limit of ${TAGGED_FIELD_COUNT_MAX}`, countOffset);
  }
  // Each tagged field takes at least two bytes: its tag and its size.
  if (count * 2 > reader.remaining) {
    reader.fail(`truncated: ${count} tagged fields but ${reader.remaining} bytes remain`, countOffset);
  }
  let previousTag = -1;
  for (let index = 0; index < count; index++) {
    const tagOffset = reader.offset;
    const tag = reader.readUnsignedVarint();
    // KIP-482: tags are written in ascending order, each at most once.
    if (tag <= previousTag) reader.fail(`tagged field ${tag} is out of order or repeated after tag ${previousTag}`, tagOffset);
    previousTag = tag;
    const sizeOffset = reader.offset;
    const size = reader.readUnsignedVarint();
    reader.checkLength(size, BYTES_MAX, `tagged field ${tag}`, sizeOffset);
    const step = plan.taggedByTag.get(tag);
    if (step === undefined) {
      // Unknown tags are skipped: they carry data added in versions of the schema we do not know.
      reader.skip(size, `tagged field ${tag}`);
      continue;
    }
    const inner = new ByteReader(reader.buffer, reader.offset, reader.offset + size);
    try {
      value[step.name] = readField(inner, step.field, version, true);
      if (inner.remaining !== 0) {
        inner.fail(`tagged field ${tag} is ${size} bytes long but its value took ${size - inner.remaining}`);
      }
    } catch (error) {
      if (error instanceof DecodeFailure) error.path.unshift(step.name);
      throw error;
    }
    reader.offset += size;
  }
}

function readLength(reader: ByteReader, flexible: boolean, wide: boolean): number {
  if (flexible) return reader.readUnsignedVarint() - 1;
  return wide ? reader.readInt32() : reader.readInt16();
}

function readField(reader: ByteReader, field: AnyFieldSpec, version: number, flexible: boolean): unknown {
  switch (field.kind) {
    case 'int8': return reader.readInt8();
    case 'int16': return reader.readInt16();
    case 'uint16': return reader.readUint16();
    case 'int32': return reader.readInt32();
    case 'int64': return reader.readInt64();
    case 'float64': return reader.readFloat64();
    case 'bool': return reader.readBool();
    case 'uuid': return reader.readUuid();
    case 'string': {
      const lengthOffset = reader.offset;
      const length = readLength(reader, flexible, false);
      if (length === -1) return readNull(reader, field, version, lengthOffset);
      reader.checkLength(length, STRING_BYTES_MAX, 'string', lengthOffset);
      return reader.readUtf8(length);
    }
    case 'bytes':
    case 'records': {
      const lengthOffset = reader.offset;
      const length = readLength(reader, flexible, true);
      if (length === -1) return readNull(reader, field, version, lengthOffset);
      reader.checkLength(length, BYTES_MAX, field.kind, lengthOffset);
      const slice = reader.readSlice(length);
      // Records stay a view of the frame: the broker appends or forwards them as they are.
      // Other bytes (group metadata, assignments, SASL tokens) are kept longer than the frame,
      // so they get their own copy and do not pin the frame's memory.
      return field.kind === 'records' ? slice : Buffer.from(slice);
    }
    case 'array': {
      const lengthOffset = reader.offset;
      const length = readLength(reader, flexible, true);
      if (length === -1) return readNull(reader, field, version, lengthOffset);
      if (length < 0) reader.fail(`array has negative length ${length}`, lengthOffset);
      if (length > ARRAY_LENGTH_MAX) reader.fail(`array length ${length} exceeds the limit of ${ARRAY_LENGTH_MAX}`, lengthOffset);
      const element = field.element!;
      const elementBytes = minimumBytesOf(element, version, flexible);
      if (length * elementBytes > reader.remaining) {
        reader.fail(`truncated: array of ${length} entries needs at least ${length * elementBytes} bytes but ${reader.remaining} remain`, lengthOffset);
      }
      const items: unknown[] = new Array(length);
      for (let index = 0; index < length; index++) {
        try {
          items[index] = element.kind === 'struct'
            ? readStruct(reader, element.fields!, version, flexible)
            : readField(reader, element, version, flexible);
        } catch (error) {
          if (error instanceof DecodeFailure) error.path.unshift(index);
          throw error;
        }
      }
      return items;
    }
    case 'struct': {
      if (inVersions(field.nullableVersions, version)) {
        // A nullable struct is preceded by a marker byte: -1 for null, 1 for present.
        const markerOffset = reader.offset;
        const marker = reader.readInt8();
        if (marker === -1) return null;
        if (marker !== 1) reader.fail(`struct presence marker is ${marker}, not -1 or 1`, markerOffset);
      }
      return readStruct(reader, field.fields!, version, flexible);
    }
  }
}

function readNull(reader: ByteReader, field: AnyFieldSpec, version: number, lengthOffset: number): null {
  if (!inVersions(field.nullableVersions, version)) reader.fail(`null ${field.kind} in a field that is not nullable in version ${version}`, lengthOffset);
  return null;
}

// ---------------------------------------------------------------------------------------
// Encoding

/** A value that cannot be encoded; the codec adds the field path as it unwinds. */
export class EncodeFailure extends Error {
  readonly path: Array<string | number> = [];

  constructor(reason: string) {
    super(reason);
    this.name = 'EncodeFailure';
  }
}

function check(condition: boolean, reason: string): asserts condition {
  if (!condition) throw new EncodeFailure(reason);
}

/** Writes one struct (or a whole message body) of `version`. Missing fields take their default. */
export function writeStruct(writer: ByteWriter, fields: Fields, value: unknown, version: number, flexible: boolean): void {
  check(typeof value === 'object' && value !== null && !Array.isArray(value), `expected an object, got ${describe(value)}`);
  const record = value as Record<string, unknown>;
  const plan = planOf(fields, version, flexible);
  for (const step of plan.steps) {
    if (step.mode !== INLINE) continue;
    const fieldValue = record[step.name];
    try {
      writeField(writer, step.field, fieldValue === undefined ? defaultOf(step.field) : fieldValue, version, flexible);
    } catch (error) {
      if (error instanceof EncodeFailure) error.path.unshift(step.name);
      throw error;
    }
  }
  if (flexible) writeTaggedFields(writer, plan, record, version);
}

function writeTaggedFields(writer: ByteWriter, plan: StructPlan, record: Record<string, unknown>, version: number): void {
  const present: Array<[number, Buffer]> = [];
  for (const step of plan.tagged) {
    const fieldValue = record[step.name];
    // KIP-482: a tagged field is sent only when it differs from its default.
    if (fieldValue === undefined || sameValue(fieldValue, defaultOf(step.field))) continue;
    const inner = new ByteWriter(64);
    try {
      writeField(inner, step.field, fieldValue, version, true);
    } catch (error) {
      if (error instanceof EncodeFailure) error.path.unshift(step.name);
      throw error;
    }
    present.push([step.field.tag!, inner.toBuffer()]);
  }
  writer.writeUnsignedVarint(present.length);
  for (const [tag, bytes] of present) {
    writer.writeUnsignedVarint(tag);
    writer.writeUnsignedVarint(bytes.length);
    writer.writeBytes(bytes);
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function checkInteger(value: unknown, min: number, max: number, kind: string): asserts value is number {
  check(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max, `${kind} must be an integer from ${min} to ${max}, got ${describe(value)}`);
}

function writeLength(writer: ByteWriter, length: number, flexible: boolean, wide: boolean): void {
  if (flexible) writer.writeUnsignedVarint(length + 1);
  else if (wide) writer.writeInt32(length);
  else writer.writeInt16(length);
}

function writeNull(writer: ByteWriter, field: AnyFieldSpec, version: number, flexible: boolean, wide: boolean): void {
  check(inVersions(field.nullableVersions, version), `${field.kind} is not nullable in version ${version}`);
  writeLength(writer, -1, flexible, wide);
}

function writeField(writer: ByteWriter, field: AnyFieldSpec, value: unknown, version: number, flexible: boolean): void {
  switch (field.kind) {
    case 'int8': checkInteger(value, -0x80, 0x7f, 'int8'); writer.writeInt8(value); return;
    case 'int16': checkInteger(value, -0x8000, 0x7fff, 'int16'); writer.writeInt16(value); return;
    case 'uint16': checkInteger(value, 0, 0xffff, 'uint16'); writer.writeUint16(value); return;
    case 'int32': checkInteger(value, -0x80000000, 0x7fffffff, 'int32'); writer.writeInt32(value); return;
    case 'int64':
      check(typeof value === 'bigint' && BigInt.asIntN(64, value) === value, `int64 must be a bigint in the signed 64-bit range, got ${describe(value)}`);
      writer.writeInt64(value);
      return;
    case 'float64': check(typeof value === 'number', `float64 must be a number, got ${describe(value)}`); writer.writeFloat64(value); return;
    case 'bool': check(typeof value === 'boolean', `bool must be a boolean, got ${describe(value)}`); writer.writeBool(value); return;
    case 'uuid':
      check(typeof value === 'string' && UUID_PATTERN.test(value), `uuid must be 32 hex digits, got ${describe(value)}`);
      writer.writeUuid(value);
      return;
    case 'string': {
      if (value === null) return writeNull(writer, field, version, flexible, false);
      check(typeof value === 'string', `string expected, got ${describe(value)}`);
      const byteLength = Buffer.byteLength(value, 'utf8');
      check(byteLength <= STRING_BYTES_MAX, `string of ${byteLength} bytes exceeds the limit of ${STRING_BYTES_MAX}`);
      writeLength(writer, byteLength, flexible, false);
      writer.writeUtf8(value, byteLength);
      return;
    }
    case 'bytes':
    case 'records': {
      if (value === null) return writeNull(writer, field, version, flexible, true);
      const parts: readonly unknown[] = field.kind === 'records' && Array.isArray(value) ? value : [value];
      let length = 0;
      for (const part of parts) {
        check(part instanceof Uint8Array, `${field.kind} must be a Buffer, got ${describe(part)}`);
        length += part.length;
      }
      check(length <= BYTES_MAX, `${field.kind} of ${length} bytes exceeds the limit of ${BYTES_MAX}`);
      writeLength(writer, length, flexible, true);
      for (const part of parts as Uint8Array[]) writer.writeBytes(part);
      return;
    }
    case 'array': {
      if (value === null) return writeNull(writer, field, version, flexible, true);
      check(Array.isArray(value), `array expected, got ${describe(value)}`);
      check(value.length <= ARRAY_LENGTH_MAX, `array of ${value.length} entries exceeds the limit of ${ARRAY_LENGTH_MAX}`);
      writeLength(writer, value.length, flexible, true);
      const element = field.element!;
      for (let index = 0; index < value.length; index++) {
        try {
          if (element.kind === 'struct') writeStruct(writer, element.fields!, value[index], version, flexible);
          else writeField(writer, element, value[index], version, flexible);
        } catch (error) {
          if (error instanceof EncodeFailure) error.path.unshift(index);
          throw error;
        }
      }
      return;
    }
    case 'struct': {
      if (inVersions(field.nullableVersions, version)) {
        if (value === null) {
          writer.writeInt8(-1);
          return;
        }
        writer.writeInt8(1);
      }
      writeStruct(writer, field.fields!, value, version, flexible);
      return;
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    return Object.keys(right).every((key) => sameValue(left[key] === undefined ? right[key] : left[key], right[key]));
  }
  return false;
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** Formats a field path as `topics[0].partitions[3].records`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  return text;
}
