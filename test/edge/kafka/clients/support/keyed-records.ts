// Keyed test records with headers, and the check that a consumer got every one of them,
// once, in order per key. The value says which key and sequence number it carries, and the
// headers repeat them, so a record that lost or swapped its headers is caught as well.
import * as assert from 'uvu/assert';

/** Keys enough to spread over several partitions with any partitioner. */
export const TEST_KEYS = ['device-a', 'device-b', 'device-c', 'device-d', 'device-e', 'device-f', 'device-g', 'device-h'];

export interface KeyedRecord { key: string; value: string; headers: Record<string, string> }

export class KeyedSequence {
  readonly #next = new Map<string, number>();
  readonly sent: KeyedRecord[] = [];

  /** One record for each key, tagged with `label` (for example the compression codec). */
  round(label: string, keys: readonly string[] = TEST_KEYS): KeyedRecord[] {
    return keys.map((key) => {
      const sequence = this.#next.get(key) ?? 0;
      this.#next.set(key, sequence + 1);
      const record = { key, value: `${key}|${sequence}|${label}`, headers: { label, sequence: String(sequence), 'content-type': 'text/plain' } };
      this.sent.push(record);
      return record;
    });
  }
}

/** Asserts `received` holds every sent record exactly once and each key's records in sending order. */
export function assertInOrderPerKey(received: readonly KeyedRecord[], sent: readonly KeyedRecord[]): void {
  const byKey = new Map<string, KeyedRecord[]>();
  for (const record of received) {
    const list = byKey.get(record.key) ?? [];
    list.push(record);
    byKey.set(record.key, list);
    const [key, sequence, label] = record.value.split('|');
    assert.is(key, record.key, `value ${record.value} under key ${record.key}`);
    assert.equal(record.headers, { label: label!, sequence: sequence!, 'content-type': 'text/plain' }, `headers of ${record.value}`);
  }
  const expected = new Map<string, string[]>();
  for (const record of sent) expected.set(record.key, [...(expected.get(record.key) ?? []), record.value]);
  for (const [key, values] of expected) {
    assert.equal((byKey.get(key) ?? []).map((record) => record.value), values, `records of key ${key}, in order`);
  }
  assert.is(received.length, sent.length, 'no record more than sent');
}
