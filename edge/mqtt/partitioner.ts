// Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive,
// modulo the partition count (Utils.murmur2 and Utils.toPositive in the Java client,
// also what librdkafka's "murmur2_random" and kafkajs's default partitioner do). MQTT
// publishes land on the partition a Kafka producer would pick for the same key, so one
// device's readings stay in one partition, in order, whichever way they arrive.

const SEED = 0x9747b28c;
const MULTIPLIER = 0x5bd1e995;
const SHIFT = 24;

/** Kafka's murmur2 (32-bit, seed 0x9747b28c) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let hash = (SEED ^ length) | 0;
  const wholeWords = length >>> 2;
  for (let word = 0; word < wholeWords; word++) {
    const index = word * 4;
    let k = data[index]! | (data[index + 1]! << 8) | (data[index + 2]! << 16) | (data[index + 3]! << 24);
    k = Math.imul(k, MULTIPLIER);
    k ^= k >>> SHIFT;
    k = Math.imul(k, MULTIPLIER);
    hash = Math.imul(hash, MULTIPLIER);
    hash ^= k;
  }
  // The last one to three bytes, as the Java switch that falls through from case 3 to 1.
  const tail = length & ~3;
  const extra = length & 3;
  if (extra >= 3) hash ^= data[tail + 2]! << 16;
  if (extra >= 2) hash ^= data[tail + 1]! << 8;
  if (extra >= 1) {
    hash ^= data[tail]!;
    hash = Math.imul(hash, MULTIPLIER);
  }
  hash ^= hash >>> 13;
  hash = Math.imul(hash, MULTIPLIER);
  hash ^= hash >>> 15;
  return hash | 0;
}

/** The partition Kafka's default partitioner picks for a record with this key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  // Utils.toPositive: clear the sign bit (not Math.abs, which differs for negatives).
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
