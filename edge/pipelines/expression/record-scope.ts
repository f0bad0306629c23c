// What an expression sees of a record. A bare name is a field of the decoded value
// (`temp`); names starting with $ are the record's own parts: $key, $timestamp,
// $headers, $value, $topic, $partition, $offset. One scope object is reused for every
// record of a task, so evaluating an expression allocates nothing per record.
import type { DecodedRecordHeader } from '../../../shared/kafka/record-batch.ts';

export class RecordScope {
  value: unknown = undefined;
  key: Buffer | null = null;
  /** Epoch milliseconds. */
  timestamp = 0;
  rawHeaders: readonly DecodedRecordHeader[] = [];
  topic = '';
  partition = 0;
  offset = 0n;
  /** A window's aggregate results, while its output fields are computed. */
  aggregates: unknown[] = [];
  #keyText: string | null | undefined;
  #headers: Record<string, string | null> | undefined;

  /** Points the scope at the next record; derived views ($key, $headers) are built on first use. */
  reset(value: unknown, key: Buffer | null, timestamp: number, headers: readonly DecodedRecordHeader[], offset: bigint): void {
    this.value = value;
    this.key = key;
    this.timestamp = timestamp;
    this.rawHeaders = headers;
    this.offset = offset;
    this.#keyText = undefined;
    this.#headers = undefined;
  }

  get keyText(): string | null {
    if (this.#keyText === undefined) this.#keyText = this.key === null ? null : this.key.toString('utf8');
    return this.#keyText;
  }

  get headers(): Record<string, string | null> {
    if (this.#headers === undefined) {
      const headers: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
      for (const header of this.rawHeaders) headers[header.key] = header.value === null ? null : header.value.toString('utf8');
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** A field of the value: own properties only, so no expression reaches a prototype. */
  field(name: string): unknown {
    return ownProperty(this.value, name);
  }
}

/** `holder[name]` when holder is an object that has it as its own property (or an array or string index); undefined otherwise. */
export function ownProperty(holder: unknown, name: unknown): unknown {
  if (holder === null || holder === undefined) return undefined;
  if (typeof holder === 'string') return typeof name === 'number' ? holder[name] : name === 'length' ? holder.length : undefined;
  if (typeof holder !== 'object') return undefined;
  if (holder instanceof Map) return holder.get(name);
  const property = typeof name === 'number' ? name : String(name);
  return Object.hasOwn(holder, property) ? (holder as Record<string | number, unknown>)[property] : undefined;
}

/** The record's own parts, by the $-name an expression uses for them. */
export const RECORD_PARTS: Record<string, (scope: RecordScope) => unknown> = {
  $key: (scope) => scope.keyText,
  $timestamp: (scope) => scope.timestamp,
  $headers: (scope) => scope.headers,
  $value: (scope) => scope.value,
  $topic: (scope) => scope.topic,
  $partition: (scope) => scope.partition,
  $offset: (scope) => Number(scope.offset),
};
