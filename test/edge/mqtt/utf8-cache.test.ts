// The bounded cache of UTF-8 bytes the broker keeps for topics and client ids.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Utf8Cache } from '../../../edge/mqtt/utf8-cache.ts';

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

test.run();
