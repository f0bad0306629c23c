// Builds sample message values from a definition, for round-trip tests of every version of
// every API: each field present in the version gets a distinctive non-default value (so a
// field read from the wrong place shows), and the expected decoded value fills the fields
// the version lacks with their defaults.
import { defaultOf, inVersions } from '../../../../shared/kafka/protocol/schema.ts';
import type { AnyFieldSpec, Fields } from '../../../../shared/kafka/protocol/schema.ts';

export interface SampleOptions {
  /** Use null wherever the version allows it, instead of a value. */
  nulls: boolean;
}

export function sampleValue(fields: Fields, version: number, options: SampleOptions, counter = { next: 1 }): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (!inVersions(field.versions, version)) continue;
    value[name] = sampleField(name, field, version, options, counter);
  }
  return value;
}

/** Real Kafka error codes (clients look them up), none of them UNSUPPORTED_VERSION (35). */
const ERROR_CODES = [3, 6, 15, 16, 22, 25, 27, 29, 36, 41, 58, 72, 79, 87];

function sampleField(name: string, field: AnyFieldSpec, version: number, options: SampleOptions, counter: { next: number }): unknown {
  if (options.nulls && inVersions(field.nullableVersions, version)) return null;
  const n = counter.next++;
  if (/errorCode$/i.test(name) && field.kind === 'int16') return ERROR_CODES[n % ERROR_CODES.length];
  switch (field.kind) {
    case 'int8': return (n % 100) + 1;
    case 'int16': return 1000 + n;
    case 'uint16': return 60000 + n;
    case 'int32': return 100000 + n;
    case 'int64': return BigInt(n) * 1_000_000_007n;
    case 'float64': return n + 0.5;
    case 'bool': return field.hasDefault ? !field.defaultValue : true;
    case 'uuid': return `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${(n * 7).toString(16).padStart(12, '0')}`;
    case 'string': return `s${n}-ü`;
    case 'bytes': return Buffer.from(`bytes-${n}`);
    case 'records': return Buffer.from(`records-${n}`);
    case 'array': {
      const element = field.element!;
      return [0, 1].map(() => (element.kind === 'struct'
        ? sampleValue(element.fields!, version, options, counter)
        : sampleField(name, element, version, options, counter)));
    }
    case 'struct': return sampleValue(field.fields!, version, options, counter);
  }
}

/** What decoding the encoded `sample` should give: absent fields take their defaults. */
export function expectedValue(fields: Fields, sample: Record<string, unknown>, version: number): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    value[name] = inVersions(field.versions, version) ? expectedField(field, sample[name], version) : defaultOf(field);
  }
  return value;
}

function expectedField(field: AnyFieldSpec, sample: unknown, version: number): unknown {
  if (sample === null || sample === undefined) return sample === undefined ? defaultOf(field) : null;
  if (field.kind === 'array') {
    const element = field.element!;
    return (sample as unknown[]).map((item) => (element.kind === 'struct'
      ? expectedValue(element.fields!, item as Record<string, unknown>, version)
      : item));
  }
  if (field.kind === 'struct') return expectedValue(field.fields!, sample as Record<string, unknown>, version);
  return sample;
}

/** Every version in a range, for test loops. */
export function versionsOf(range: { min: number; max: number }): number[] {
  const versions: number[] = [];
  for (let version = range.min; version <= range.max; version++) versions.push(version);
  return versions;
}
