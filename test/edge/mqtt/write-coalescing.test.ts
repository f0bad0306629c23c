import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duplex } from 'node:stream';
import { coalesceWrites } from '../../../edge/mqtt/write-coalescing.ts';

/** A stream that records each write reaching its underlying resource (one system call each). */
function recordingStream(): { stream: Duplex; calls: Buffer[][] } {
  const calls: Buffer[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) { calls.push([chunk]); callback(); },
    writev(chunks, callback) { calls.push(chunks.map((entry) => entry.chunk as Buffer)); callback(); },
  });
  return { stream, calls };
}

/** What mqtt-packet does for each packet: cork, write the parts, uncork on the next tick. */
function writePacket(stream: Duplex, parts: string[]): void {
  stream.cork();
  for (const part of parts) stream.write(Buffer.from(part));
  process.nextTick(() => stream.uncork());
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('packets written from separate callbacks of one turn leave in one write', async () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  // aedes delivers each message from its own setImmediate callback.
  for (const name of ['a', 'b', 'c']) setImmediate(() => writePacket(stream, [`${name}1`, `${name}2`]));
  await turn();
  await turn();
  assert.is(calls.length, 1);
  assert.equal(calls[0]!.map(String), ['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
});

test('without coalescing each packet is its own write', async () => {
  const { stream, calls } = recordingStream();
  for (const name of ['a', 'b', 'c']) setImmediate(() => writePacket(stream, [`${name}1`, `${name}2`]));
  await turn();
  await turn();
  assert.is(calls.length, 3);
});

test('a lone packet is written after the current turn, and later turns write again', async () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  writePacket(stream, ['x']);
  assert.is(calls.length, 0);
  await turn();
  assert.equal(calls.map((call) => call.map(String)), [['x']]);
  writePacket(stream, ['y']);
  await turn();
  assert.equal(calls.map((call) => call.map(String)), [['x'], ['y']]);
});

test.run();
