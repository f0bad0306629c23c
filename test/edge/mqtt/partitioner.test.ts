import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { murmur2, partitionForKey } from '../../../edge/mqtt/partitioner.ts';

const require = createRequire(import.meta.url);
// kafkajs's Java-compatible default partitioner serves as an independent oracle.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

test('murmur2 gives the values of the Java client (Kafka UtilsTest.testMurmur2)', () => {
  const cases: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [key, expected] of cases) assert.is(murmur2(Buffer.from(key)), expected, key);
});

test('murmur2 agrees with kafkajs for keys of every length up to 64 bytes', () => {
  for (let length = 0; length <= 64; length++) {
    for (let sample = 0; sample < 20; sample++) {
      const key = randomBytes(length);
      assert.is(murmur2(key), kafkajsMurmur2(key), `key ${key.toString('hex')}`);
    }
  }
});

test('the partition is the positive hash modulo the partition count', () => {
  const key = Buffer.from('device-17');
  const hash = kafkajsMurmur2(key);
  for (const partitions of [1, 2, 3, 7, 12]) assert.is(partitionForKey(key, partitions), (hash & 0x7fffffff) % partitions);
  // A key whose hash is negative: toPositive clears the sign bit rather than negating.
  assert.ok(murmur2(Buffer.from('foobar')) < 0);
  assert.is(partitionForKey(Buffer.from('foobar'), 5), (-790332482 & 0x7fffffff) % 5);
});

test.run();
