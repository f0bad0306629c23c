// The bounded cache of UTF-8 bytes the broker keeps for topics and client ids.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lastingUtf8, Utf8Cache } from '../../../edge/mqtt/utf8-cache.ts';

test('returns the UTF-8 bytes of a string, the same buffer each time it is asked again', () => {
  const cache = new Utf8Cache(4);
  const first = cache.bytes('sensors/pump-7/température');
  assert.equal(first, Buffer.from('sensors/pump-7/température', 'utf8'));
  assert.ok(cache.bytes('sensors/pump-7/température') === first, 'kept, not encoded again');
});

test('holds at most its limit: past it, it starts afresh and still answers right', () => {
  const cache = new Utf8Cache(2);
  const a = cache.bytes('a');
  cache.bytes('b');
  assert.ok(cache.bytes('a') === a, 'within the limit, kept');
  cache.bytes('c'); // the third entry: the cache starts afresh with it
  const again = cache.bytes('a');
  assert.ok(again !== a, 'the entries before the limit were let go');
  assert.equal(again, Buffer.from('a'));
  assert.equal(cache.bytes('c'), Buffer.from('c'));
});

test('kept bytes hold no slab of Node\'s shared buffer pool, and many share one small slab of their own', () => {
  const pooled = Buffer.from('sensors/pump-7/temperature', 'utf8');
  const topics = Array.from({ length: 50 }, (_unused, index) => `sensors/device-${index}/température`);
  const kept = topics.map((topic) => lastingUtf8(topic));
  kept.forEach((bytes, index) => assert.equal(bytes.toString('utf8'), topics[index], 'each string whole after the others were written beside it'));
  for (const bytes of kept) {
    assert.ok(bytes.buffer !== pooled.buffer, 'not a slice of the pool slab short-lived buffers share');
    assert.ok(bytes.buffer.byteLength < Buffer.poolSize, `a slab of ${bytes.buffer.byteLength} bytes, smaller than the pool's ${Buffer.poolSize}`);
  }
  const slabs = new Set(kept.map((bytes) => bytes.buffer));
  assert.ok(slabs.size < kept.length / 10, `${kept.length} strings in ${slabs.size} slabs`);
  assert.ok(new Utf8Cache(4).bytes('clients/pump-7').buffer.byteLength < Buffer.poolSize, 'the cache keeps its entries the same way');
});

test('a long string gets an allocation of its own, not a slab it would mostly fill', () => {
  const long = 'x'.repeat(3000);
  const bytes = lastingUtf8(long);
  assert.equal(bytes.toString('utf8'), long);
  assert.is(bytes.buffer.byteLength, 3000);
});

test.run();
