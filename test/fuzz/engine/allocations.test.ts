// The allocation counter sees Buffers made by every public factory a decoder uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installAllocationCounter, takeAllocatedBytes } from './allocations.ts';

installAllocationCounter();

test('alloc, allocUnsafe, concat and from (array, Buffer, string) are counted; a view of an ArrayBuffer is not', () => {
  takeAllocatedBytes();
  Buffer.alloc(100);
  Buffer.allocUnsafe(200);
  assert.is(takeAllocatedBytes(), 300);
  Buffer.concat([Buffer.alloc(10), Buffer.alloc(20)]);
  assert.is(takeAllocatedBytes(), 10 + 20 + 30);
  Buffer.from('héllo');
  assert.is(takeAllocatedBytes(), 6);
  Buffer.from([1, 2, 3]);
  Buffer.from(new Uint8Array(40));
  assert.is(takeAllocatedBytes(), 43);
  Buffer.from(new ArrayBuffer(1000));
  assert.is(takeAllocatedBytes(), 0);
});

test('a decoder that sizes its output from a length field shows in the count', () => {
  takeAllocatedBytes();
  const input = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  takeAllocatedBytes();
  const claimed = input.readInt32BE(0) >>> 12;
  Buffer.alloc(claimed);
  assert.ok(takeAllocatedBytes() >= claimed);
});

test.run();
