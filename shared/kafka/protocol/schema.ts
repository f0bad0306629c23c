// The vocabulary in which every Kafka API is defined: one definition per API states each
// field's type and the versions it exists in, and the generic codec in `codec.ts` walks it
// for whichever version a client speaks. Adding a version is then a change of ranges, not a
// copy of an encoder.
//
// The vocabulary follows the message schemas of Apache Kafka
// (clients/src/main/resources/common/message/*.json): `versions`, `nullableVersions`,
// `taggedVersions` and `tag` (KIP-482), and `default`. Version ranges are written the same way
// ("0+", "3-7", "5", "none"). Field names are the schema names in camelCase.
//
// The TypeScript types of a message are derived from its definition (`Value`, `Input`), so
// the field list exists once.

import { kafkaApi } from './api-keys.ts';

/** An inclusive range of versions; `max` is Infinity for an open range such as "3+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
  /** The range as written in the schema, for messages and schema lines. */
  readonly text: string;
}

export const NO_VERSIONS: VersionRange = Object.freeze({ min: 0, max: -1, text: 'none' });

/** Parses "0+", "3-7", "5" or "none". Definitions are code, so a bad range is a programmer error. */
export function parseVersions(text: string): VersionRange {
  if (text === 'none') return NO_VERSIONS;
  const open = /^(\d+)\+$/.exec(text);
  if (open) return Object.freeze({ min: Number(open[1]), max: Infinity, text });
  const closed = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (closed) {
    const min = Number(closed[1]);
    const max = closed[2] === undefined ? min : Number(closed[2]);
    if (max >= min) return Object.freeze({ min, max, text });
  }
  throw new Error(`assertion failed: "${text}" is not a version range`);
}

export function inVersions(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}

/** Fixed-width and length-prefixed leaf types of the Kafka protocol. */
export type PrimitiveKind =
  | 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'bool' | 'uuid' | 'string' | 'bytes' | 'records';

export type FieldKind = PrimitiveKind | 'array' | 'struct';

/** The decoded TypeScript value of each primitive kind. */
export interface PrimitiveValues {
  int8: number;
  int16: number;
  uint16: number;
  int32: number;
  int64: bigint;
  float64: number;
  bool: boolean;
  /** Hyphenated lower-case hex, e.g. "00000000-0000-0000-0000-000000000000". */
  uuid: string;
  string: string;
  bytes: Buffer;
  /** Record batches, passed through as bytes: the broker appends and serves them as they are. */
  records: Buffer;
}

/**
 * What an encoder accepts for each primitive kind. Records may be a list of buffers (for
 * example batches read from several segments), written one after another without a copy.
 */
export interface PrimitiveInputs extends Omit<PrimitiveValues, 'records'> {
  records: Buffer | readonly Buffer[];
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

interface FieldSpecParts {
  kind: FieldKind;
  versions: VersionRange;
  nullableVersions: VersionRange | null;
  tag: number | null;
  taggedVersions: VersionRange | null;
  hasDefault: boolean;
  defaultValue: unknown;
  element: AnyFieldSpec | null;
  fields: Fields | null;
}

/**
 * One field of a message. `Out` is its decoded type, `In` what an encoder accepts, and
 * `Optional` whether an encoder may leave it out (it has a default).
 */
export class FieldSpec<Out, In = Out, Optional extends boolean = false> {
  declare readonly __out: Out;
  declare readonly __in: In;
  declare readonly __optional: Optional;

  readonly kind: FieldKind;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange | null;
  readonly tag: number | null;
  readonly taggedVersions: VersionRange | null;
  readonly hasDefault: boolean;
  /** The explicit default; see `defaultOf` for the implicit ones. */
  readonly defaultValue: unknown;
  /** For arrays: the element, a primitive or a struct. */
  readonly element: AnyFieldSpec | null;
  /** For structs: their fields, in wire order. */
  readonly fields: Fields | null;

  constructor(parts: FieldSpecParts) {
    this.kind = parts.kind;
    this.versions = parts.versions;
    this.nullableVersions = parts.nullableVersions;
    this.tag = parts.tag;
    this.taggedVersions = parts.taggedVersions;
    this.hasDefault = parts.hasDefault;
    this.defaultValue = parts.defaultValue;
    this.element = parts.element;
    this.fields = parts.fields;
    Object.freeze(this);
  }

  /** The versions in which the field may be null (`nullableVersions`). */
  nullable(versions: string): FieldSpec<Out | null, In | null, Optional> {
    return new FieldSpec({ ...this.#parts(), nullableVersions: parseVersions(versions) });
  }

  /** The value the field takes in versions that lack it, and when an encoder leaves it out. */
  default(value: In): FieldSpec<Out, In, true> {
    return new FieldSpec({ ...this.#parts(), hasDefault: true, defaultValue: value });
  }

  /**
   * Sent in the tagged-field section of flexible versions (KIP-482) rather than in line;
   * written only when it differs from its default, so an encoder may leave it out.
   */
  tagged(tag: number, versions: string): FieldSpec<Out, In, true> {
    return new FieldSpec({ ...this.#parts(), tag, taggedVersions: parseVersions(versions) });
  }

  #parts(): FieldSpecParts {
    return {
      kind: this.kind,
      versions: this.versions,
      nullableVersions: this.nullableVersions,
      tag: this.tag,
      taggedVersions: this.taggedVersions,
      hasDefault: this.hasDefault,
      defaultValue: this.defaultValue,
      element: this.element,
      fields: this.fields,
    };
  }
}

// `any` is confined to these two type-level helpers: they stand for "a field of any type".
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFieldSpec = FieldSpec<any, any, boolean>;

/** The fields of a struct or message, in wire order (object key order). */
export interface Fields {
  readonly [name: string]: AnyFieldSpec;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K]['__optional'] extends true ? K : never }[keyof F];

/** The decoded value of a struct: every field present (absent ones take their default). */
export type Value<F extends Fields> = { -readonly [K in keyof F]: F[K]['__out'] };

/** What an encoder accepts for a struct: fields with a default may be left out. */
export type Input<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: F[K]['__in'] } & {
    -readonly [K in OptionalKeys<F>]?: F[K]['__in'];
  }
>;

/** A new field of `kind` in `versions`: not nullable, not tagged, no explicit default. */
function newField<Out, In>(kind: FieldKind, versions: string, element: AnyFieldSpec | null, fields: Fields | null): FieldSpec<Out, In> {
  return new FieldSpec({
    kind,
    versions: parseVersions(versions),
    nullableVersions: null,
    tag: null,
    taggedVersions: null,
    hasDefault: false,
    defaultValue: undefined,
    element,
    fields,
  });
}

function primitive<K extends PrimitiveKind>(kind: K, versions: string): FieldSpec<PrimitiveValues[K], PrimitiveInputs[K]> {
  return newField(kind, versions, null, null);
}

export const int8 = (versions: string) => primitive('int8', versions);
export const int16 = (versions: string) => primitive('int16', versions);
export const uint16 = (versions: string) => primitive('uint16', versions);
export const int32 = (versions: string) => primitive('int32', versions);
export const int64 = (versions: string) => primitive('int64', versions);
export const float64 = (versions: string) => primitive('float64', versions);
export const bool = (versions: string) => primitive('bool', versions);
export const uuid = (versions: string) => primitive('uuid', versions);
export const string = (versions: string) => primitive('string', versions);
export const bytes = (versions: string) => primitive('bytes', versions);
export const records = (versions: string) => primitive('records', versions);

/** A struct-valued field (not an array), e.g. Fetch's `currentLeader`. */
export function struct<F extends Fields>(versions: string, fields: F): FieldSpec<Value<F>, Input<F>> {
  return newField('struct', versions, null, Object.freeze({ ...fields }));
}

/** An array of structs (`"type": "[]Name"` with fields) or of a primitive (`"[]int32"`). */
export function array<F extends Fields>(versions: string, fields: F): FieldSpec<Value<F>[], Input<F>[]>;
export function array<K extends PrimitiveKind>(versions: string, kind: K): FieldSpec<PrimitiveValues[K][], PrimitiveInputs[K][]>;
export function array(versions: string, element: Fields | PrimitiveKind): AnyFieldSpec {
  const elementSpec = typeof element === 'string' ? primitive(element, versions) : struct(versions, element);
  return newField('array', versions, elementSpec, null);
}

/** The value a field takes when a version lacks it or a tagged field is not sent. */
export function defaultOf(field: AnyFieldSpec): unknown {
  if (field.hasDefault) {
    const value = field.defaultValue;
    // Hand out fresh containers: callers may fill a decoded value in place.
    return Array.isArray(value) ? [...value] : value;
  }
  switch (field.kind) {
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'float64': return 0;
    case 'int64': return 0n;
    case 'bool': return false;
    case 'uuid': return ZERO_UUID;
    case 'string': return '';
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    case 'array': return [];
    case 'struct': {
      const value: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(field.fields!)) value[name] = defaultOf(child);
      return value;
    }
  }
}

/** One Kafka API: its key, the versions we serve, and its request and response messages. */
export interface ApiDefinition<Request extends Fields = Fields, Response extends Fields = Fields, Key extends number = number> {
  readonly apiKey: Key;
  readonly name: string;
  /** The versions this broker accepts and advertises in ApiVersions. */
  readonly versions: VersionRange;
  /** The versions that use compact encodings and tagged fields (KIP-482). */
  readonly flexibleVersions: VersionRange;
  readonly request: Request;
  readonly response: Response;
}

/**
 * Defines the API with this key: the versions this broker serves and the fields of its
 * messages. Its name and the versions that are flexible are Kafka's, from the table
 * generated from Kafka's message schemas (api-keys.ts).
 */
export function defineApi<const Key extends number, const Request extends Fields, const Response extends Fields>(spec: {
  apiKey: Key;
  versions: string;
  request: Request;
  response: Response;
}): ApiDefinition<Request, Response, Key> {
  const known = kafkaApi(spec.apiKey);
  if (known === undefined) throw new Error(`assertion failed: Kafka defines no API with key ${spec.apiKey}`);
  return Object.freeze({
    apiKey: spec.apiKey,
    name: known.name,
    versions: parseVersions(spec.versions),
    flexibleVersions: known.firstFlexibleVersion === null ? NO_VERSIONS : parseVersions(`${known.firstFlexibleVersion}+`),
    request: Object.freeze({ ...spec.request }),
    response: Object.freeze({ ...spec.response }),
  });
}

/** The decoded body of a request to `Api`. */
export type RequestOf<Api extends ApiDefinition> = Value<Api['request']>;
/** What a request body to `Api` may be given as to the encoder. */
export type RequestInputOf<Api extends ApiDefinition> = Input<Api['request']>;
/** What a response body of `Api` may be given as to the encoder. */
export type ResponseOf<Api extends ApiDefinition> = Input<Api['response']>;
/** The decoded body of a response of `Api`. */
export type DecodedResponseOf<Api extends ApiDefinition> = Value<Api['response']>;

function schemaName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Renders the protocol guide's line for one version of a message, e.g.
 * `Heartbeat Request (Version: 4) => group_id generation_id member_id group_instance_id TAG_BUFFER`,
 * followed by one line per struct. Used in error messages and to keep file headers honest.
 */
export function describeMessage(title: string, fields: Fields, version: number, flexible: boolean): string {
  const lines: string[] = [];
  const describe = (prefix: string, struct: Fields, depth: number) => {
    const names: string[] = [];
    const nested: Array<[string, Fields]> = [];
    for (const [name, field] of Object.entries(struct)) {
      if (!inVersions(field.versions, version)) continue;
      if (flexible && inVersions(field.taggedVersions, version)) continue;
      const child = field.kind === 'array' ? field.element!.fields : field.kind === 'struct' ? field.fields : null;
      names.push(field.kind === 'array' ? `[${schemaName(name)}]` : schemaName(name));
      if (child) nested.push([name, child]);
    }
    if (flexible) names.push('TAG_BUFFER');
    lines.push(`${'  '.repeat(depth)}${prefix} => ${names.join(' ')}`);
    for (const [name, child] of nested) describe(schemaName(name), child, depth + 1);
  };
  describe(`${title} (Version: ${version})`, fields, 0);
  return lines.join('\n');
}
