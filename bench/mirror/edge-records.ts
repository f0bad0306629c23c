// The records bench:mirror produces at the edge: random values, so that compression cannot
// hide the link (source bytes and link bytes stay close), keys from a small set.
import { randomBytes } from 'node:crypto';
import type { Producer } from '@platformatic/kafka';

/** Records per produce request to the edge. */
const SEND_RECORDS = 500;
/** Distinct keys: a few devices' worth. */
const KEYS = 64;

/** Produces about `bytes` of `recordBytes`-byte records to `topic`, numbered from `from` round the partitions; the number produced. */
export async function produceBytes(producer: Producer, topic: string, from: number, bytes: number, sizes: { partitions: number; recordBytes: number }): Promise<number> {
  const count = Math.ceil(bytes / sizes.recordBytes);
  for (let sent = 0; sent < count; sent += SEND_RECORDS) {
    const messages = Array.from({ length: Math.min(SEND_RECORDS, count - sent) }, (_unused, index) => {
      const number = from + sent + index;
      return { topic, partition: number % sizes.partitions, key: Buffer.from(`k${number % KEYS}`), value: randomBytes(sizes.recordBytes) };
    });
    await producer.send({ messages });
  }
  return count;
}
