import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLEANER_KEY_MAP_BYTES_MAX, KeyOffsetMap } from '../../../../edge/storage/compaction/key-map.ts';

test('the newest offset of each key, by key bytes, whatever their length', () => {
  const map = new KeyOffsetMap(4096);
  assert.ok(map.put(Buffer.from('a'), 1n));
  assert.ok(map.put(Buffer.from('b'.repeat(10_000)), 2n));
  assert.ok(map.put(Buffer.from('a'), 7n));
  assert.is(map.get(Buffer.from('a')), 7n);
  assert.is(map.get(Buffer.from('b'.repeat(10_000))), 2n);
  assert.is(map.get(Buffer.from('c')), undefined);
  assert.is(map.put(Buffer.from(''), 0n), true, 'an empty key is a key, and offset 0 is an offset');
  assert.is(map.get(Buffer.from('')), 0n);
  assert.is(map.size, 3);
  map.clear();
  assert.equal([map.size, map.get(Buffer.from('a'))], [0, undefined]);
});

test('the map never grows past its bytes: once full a new key is refused and nothing changes, a known key still moves', () => {
  const map = new KeyOffsetMap(24 * 100);
  let accepted = 0;
  while (map.put(Buffer.from(`key-${accepted}`), BigInt(accepted))) accepted += 1;
  assert.is(accepted, map.keysMax);
  assert.is(map.keysMax, 75, 'three quarters of 100 slots');
  assert.ok(map.full);
  assert.is(map.get(Buffer.from(`key-${accepted}`)), undefined, 'the refused key is not there');
  assert.ok(map.put(Buffer.from('key-3'), 1000n), 'a key already in the map moves on');
  assert.is(map.get(Buffer.from('key-3')), 1000n);
  for (let index = 0; index < accepted; index++) if (index !== 3) assert.is(map.get(Buffer.from(`key-${index}`)), BigInt(index));
  assert.is(Math.floor(Math.floor(CLEANER_KEY_MAP_BYTES_MAX / 24) * 0.75), new KeyOffsetMap().keysMax);
});

test.run();
