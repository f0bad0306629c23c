import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../../../shared/kafka/protocol/writer.ts';

test('large blobs are referenced by the writer, not copied', () => {
  const blob = Buffer.alloc(64 * 1024, 7);
  const writer = new ByteWriter();
  writer.writeInt32(1).writeBytes(blob).writeInt16(2);
  const chunks = writer.toChunks();
  assert.ok(chunks.includes(blob), 'the blob itself is one of the chunks');
  assert.is(writer.length, 4 + blob.length + 2);
  const joined = Buffer.concat(chunks);
  assert.is(joined.readInt32BE(0), 1);
  assert.is(joined.readInt16BE(4 + blob.length), 2);
});

test('the writer grows past its first buffer and keeps every byte in order', () => {
  const writer = new ByteWriter(8);
  for (let index = 0; index < 100_000; index++) writer.writeInt32(index);
  const bytes = writer.toBuffer();
  assert.is(bytes.length, 400_000);
  for (const index of [0, 1, 12_345, 99_999]) assert.is(bytes.readInt32BE(index * 4), index);
});

test('strings are written as UTF-8 of the given byte length, short ASCII ones too', () => {
  const texts = ['ü-€', '', 'mqtt.topic', 'a'.repeat(32), 'b'.repeat(33), 'x'.repeat(31) + 'é', '😀'];
  const writer = new ByteWriter(4);
  for (const text of texts) writer.writeUtf8(text, Buffer.byteLength(text));
  assert.equal(writer.toBuffer(), Buffer.from(texts.join(''), 'utf8'));
});

test.run();
