// Whose memory a parsed PUBLISH payload holds: a view of the read when the read holds that
// packet and little else (one reading a read, as devices send), a copy otherwise, so that
// a message kept for later never holds a shared pool slab or a read of many packets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { PAYLOAD_VIEW_SLACK_BYTES_MAX, parseInbound } from '../../../../edge/mqtt/packets/inbound.ts';
import { PacketType } from '../../../../edge/mqtt/packets/constants.ts';

function publishBytes(payload: Buffer, protocolVersion: 4 | 5 = 4): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic: 'sensors/device-7/temperature', payload, qos: 1, messageId: 7, dup: false, retain: false } as Packet, { protocolVersion });
}

/** The payload of the PUBLISH at `start` of `data`. */
function payloadOf(data: Buffer, start = 0): Buffer {
  let index = start + 1;
  let remaining = 0;
  for (let multiplier = 1; ; multiplier *= 128) {
    const byte = data[index++]!;
    remaining += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) break;
  }
  const packet = parseInbound(data, start, index, index + remaining, { protocolLevel: 4, maxTopicLevels: 16 });
  assert.is(packet.type, PacketType.PUBLISH);
  if (packet.type !== PacketType.PUBLISH) throw new Error('not a PUBLISH');
  return packet.payload;
}

/** Bytes in memory of their own, as Node.js hands a socket read over. */
function ownMemory(bytes: Buffer): Buffer {
  const own = Buffer.from(new ArrayBuffer(bytes.length));
  bytes.copy(own);
  return own;
}

test('a read of one PUBLISH: the payload is a view of the read, not a copy into the shared pool', () => {
  const reading = Buffer.from('a2 63 74 65 6d 70 fb 40 35 66 66 66 66 66 66'.replace(/ /g, ''), 'hex');
  const read = ownMemory(publishBytes(reading));
  const payload = payloadOf(read);
  assert.equal(payload, reading);
  assert.ok(payload.buffer === read.buffer, 'the read\'s own memory');
  assert.is(payload.byteOffset, read.length - reading.length, 'the last bytes of the read');
  assert.ok(read.length - payload.length <= PAYLOAD_VIEW_SLACK_BYTES_MAX);
});

test('a read of many packets: each payload is copied, so that one kept message does not hold the others\' bytes', () => {
  const readings = Array.from({ length: 20 }, (_unused, index) => Buffer.from(`reading ${index} `.repeat(3)));
  const packets = readings.map((reading) => publishBytes(reading));
  const read = ownMemory(Buffer.concat(packets));
  assert.ok(read.length > PAYLOAD_VIEW_SLACK_BYTES_MAX * 2, 'the read is larger than the slack');
  let start = 0;
  const payloads = packets.map((packet) => {
    const payload = payloadOf(read, start);
    start += packet.length;
    return payload;
  });
  read.fill(0);
  payloads.forEach((payload, index) => assert.equal(payload, readings[index], `payload ${index} copied out of the read`));
});

test('a packet in a slice of Node.js\'s shared pool is copied: the view would hold the whole pool slab', () => {
  const reading = Buffer.from('pooled reading');
  const pooled = Buffer.from(publishBytes(reading));
  assert.ok(pooled.buffer.byteLength > pooled.length + PAYLOAD_VIEW_SLACK_BYTES_MAX, 'Buffer.from of a small buffer takes a pool slice');
  const payload = payloadOf(pooled);
  pooled.fill(0);
  assert.equal(payload, reading, 'a copy: the packet\'s bytes overwritten, the payload unchanged');
});

test.run();
