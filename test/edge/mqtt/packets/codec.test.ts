// The MQTT codec against mqtt-packet (the codec MQTT.js and aedes share): every packet a
// client sends, written by mqtt-packet in both versions, parses to the same fields here;
// every packet the broker sends parses with mqtt-packet to what was written; and golden
// bytes for the property layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { parseInbound, type InboundPacket } from '../../../../edge/mqtt/packets/inbound.ts';
import { writeAcknowledgement, writeConnack, writePublish, writeReasonPacket, writeSubscriptionAck } from '../../../../edge/mqtt/packets/outbound.ts';
import { PacketType } from '../../../../edge/mqtt/packets/constants.ts';
import { propertiesBytes, writeProperties } from '../../../../edge/mqtt/packets/properties.ts';
import { ByteWriter } from '../../../../edge/mqtt/packets/wire.ts';

function parse(bytes: Buffer, protocolLevel: number): InboundPacket {
  let index = 1;
  while ((bytes[index]! & 0x80) !== 0) index++;
  return parseInbound(bytes, 0, index + 1, bytes.length, { protocolLevel, maxTopicLevels: 16 });
}

function theirs(bytes: Buffer, protocolVersion: 4 | 5): Packet {
  const parser = mqttPacket.parser({ protocolVersion });
  let found: Packet | undefined;
  parser.on('packet', (packet: Packet) => { found = packet; });
  parser.on('error', (error: Error) => { throw error; });
  parser.parse(bytes);
  if (found === undefined) throw new Error('mqtt-packet read no packet');
  return found;
}

test('CONNECT in both versions: flags, will, credentials and properties as mqtt-packet wrote them', () => {
  for (const protocolVersion of [4, 5] as const) {
    const bytes = mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: false, keepalive: 42, clientId: 'device-7', username: 'u', password: Buffer.from('p'),
      will: { topic: 'status/device-7', payload: Buffer.from('gone'), qos: 1, retain: true, ...(protocolVersion === 5 ? { properties: { willDelayInterval: 30, contentType: 'text/plain' } } : {}) },
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600, receiveMaximum: 10, maximumPacketSize: 4096, topicAliasMaximum: 3, requestProblemInformation: false } } : {}),
    } as Packet, { protocolVersion });
    const packet = parse(bytes, 0);
    assert.equal(packet.type, PacketType.CONNECT);
    if (packet.type !== PacketType.CONNECT) return;
    assert.equal([packet.protocolLevel, packet.clean, packet.keepAliveSeconds, packet.clientId, packet.username, packet.password?.toString()], [protocolVersion, false, 42, 'device-7', 'u', 'p']);
    assert.equal([packet.will?.topic, packet.will?.payload.toString(), packet.will?.qos, packet.will?.retain], ['status/device-7', 'gone', 1, true]);
    if (protocolVersion === 5) {
      assert.equal(packet.properties, { sessionExpiryInterval: 600, receiveMaximum: 10, maximumPacketSize: 4096, topicAliasMaximum: 3, requestProblemInformation: 0 });
      assert.equal(packet.will?.properties, { willDelayInterval: 30, contentType: 'text/plain' });
    }
  }
});

test('PUBLISH, acknowledgements, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT from mqtt-packet parse to the same fields', () => {
  const publish = parse(mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 2, messageId: 9, dup: true, retain: true, properties: { contentType: 'c', responseTopic: 'r', correlationData: Buffer.from([1]), messageExpiryInterval: 5, payloadFormatIndicator: true, topicAlias: 2, userProperties: { k: 'v' } } } as Packet, { protocolVersion: 5 }), 5);
  assert.equal(publish, { type: 3, qos: 2, dup: true, retain: true, topic: 'a/b', packetId: 9, payload: Buffer.from('x'), properties: { payloadFormatIndicator: 1, messageExpiryInterval: 5, contentType: 'c', responseTopic: 'r', correlationData: Buffer.from([1]), topicAlias: 2, userProperties: [['k', 'v']] } });
  const puback = parse(mqttPacket.generate({ cmd: 'puback', messageId: 3, reasonCode: 0x10, properties: { reasonString: 'none' } } as Packet, { protocolVersion: 5 }), 5);
  assert.equal(puback, { type: 4, packetId: 3, reasonCode: 0x10, properties: { reasonString: 'none' } });
  const pubrel3 = parse(mqttPacket.generate({ cmd: 'pubrel', messageId: 4 } as Packet, { protocolVersion: 4 }), 4);
  assert.equal(pubrel3, { type: 6, packetId: 4, reasonCode: 0 });
  const subscribe = parse(mqttPacket.generate({ cmd: 'subscribe', messageId: 5, properties: { subscriptionIdentifier: 77 }, subscriptions: [{ topic: 'a/#', qos: 1, nl: true, rap: true, rh: 2 }, { topic: '$share/g/b/+', qos: 2, nl: false, rap: false, rh: 0 }] } as Packet, { protocolVersion: 5 }), 5);
  assert.equal(subscribe, { type: 8, packetId: 5, properties: { subscriptionIdentifiers: [77] }, subscriptions: [{ filter: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }, { filter: '$share/g/b/+', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  const unsubscribe = parse(mqttPacket.generate({ cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['a/#', 'b'] } as Packet, { protocolVersion: 4 }), 4);
  assert.equal(unsubscribe, { type: 10, packetId: 6, filters: ['a/#', 'b'] });
  const disconnect = parse(mqttPacket.generate({ cmd: 'disconnect', reasonCode: 4, properties: { sessionExpiryInterval: 9 } } as Packet, { protocolVersion: 5 }), 5);
  assert.equal(disconnect, { type: 14, reasonCode: 4, properties: { sessionExpiryInterval: 9 } });
});

test('what the broker writes, mqtt-packet reads back: CONNACK, PUBLISH, acknowledgements with reason codes, SUBACK, UNSUBACK, DISCONNECT, AUTH', () => {
  const connack = theirs(writeConnack(5, true, 0, { receiveMaximum: 64, topicAliasMaximum: 32, assignedClientIdentifier: 'auto-1', serverKeepAlive: 60, maximumPacketSize: 1024 }), 5) as Packet & { properties: Record<string, unknown> };
  assert.equal([connack.cmd, (connack as { sessionPresent?: boolean }).sessionPresent, connack.properties.receiveMaximum, connack.properties.assignedClientIdentifier, connack.properties.serverKeepAlive], ['connack', true, 64, 'auto-1', 60]);
  assert.is((theirs(writeConnack(4, false, 5), 4) as { returnCode?: number }).returnCode, 5);
  const publish = theirs(writePublish(5, { topic: Buffer.from('t/1'), payload: Buffer.from('hi'), qos: 1, retain: true, dup: true, packetId: 7, properties: { subscriptionIdentifiers: [3, 4], messageExpiryInterval: 8, userProperties: [['a', '1']] } }), 5) as Packet & { properties: Record<string, unknown> };
  assert.equal([publish.cmd, (publish as { topic: string }).topic, (publish as { messageId?: number }).messageId, (publish as { dup?: boolean }).dup, publish.properties.subscriptionIdentifier, publish.properties.messageExpiryInterval], ['publish', 't/1', 7, true, [3, 4], 8]);
  const refused = theirs(writeAcknowledgement(5, PacketType.PUBACK, 2, 0x87, { reasonString: 'no' }), 5) as Packet & { reasonCode?: number; properties?: { reasonString?: string } };
  assert.equal([refused.cmd, refused.reasonCode, refused.properties?.reasonString], ['puback', 0x87, 'no']);
  assert.equal(writeAcknowledgement(5, PacketType.PUBACK, 2), Buffer.from([0x40, 2, 0, 2]), 'success without properties: the short form');
  assert.equal(writeAcknowledgement(5, PacketType.PUBREL, 2), Buffer.from([0x62, 2, 0, 2]), 'PUBREL flags 0010');
  const suback = theirs(writeSubscriptionAck(5, PacketType.SUBACK, 9, [1, 0x87]), 5) as Packet & { granted: number[] };
  assert.equal(suback.granted, [1, 0x87]);
  assert.equal(writeSubscriptionAck(4, PacketType.UNSUBACK, 9, [0]), Buffer.from([0xb0, 2, 0, 9]), '3.1.1 UNSUBACK has no codes');
  const unsuback = theirs(writeSubscriptionAck(5, PacketType.UNSUBACK, 9, [0, 0x11]), 5) as Packet & { granted?: number[]; reasonCode?: number[] };
  assert.equal(unsuback.cmd, 'unsuback');
  const disconnect = theirs(writeReasonPacket(PacketType.DISCONNECT, 0x8e, { reasonString: 'taken over' }), 5) as Packet & { reasonCode?: number };
  assert.equal([disconnect.cmd, disconnect.reasonCode], ['disconnect', 0x8e]);
  const auth = theirs(writeReasonPacket(PacketType.AUTH, 0x18, { authenticationMethod: 'M' }), 5) as Packet & { reasonCode?: number };
  assert.equal([auth.cmd, auth.reasonCode], ['auth', 0x18]);
});

test('golden bytes: properties are written in identifier order, User Properties in the order given, repeats kept', () => {
  const properties = { userProperties: [['b', '1'], ['a', '2'], ['b', '3']] as Array<[string, string]>, contentType: 'x', messageExpiryInterval: 1 };
  const size = propertiesBytes(properties);
  const writer = new ByteWriter(1 + size);
  writeProperties(writer, properties, size);
  assert.equal([...writer.done()], [
    size,
    0x02, 0, 0, 0, 1, // Message Expiry Interval
    0x03, 0, 1, 0x78, // Content Type "x"
    0x26, 0, 1, 0x62, 0, 1, 0x31, // b=1
    0x26, 0, 1, 0x61, 0, 1, 0x32, // a=2
    0x26, 0, 1, 0x62, 0, 1, 0x33, // b=3
  ]);
});

test.run();
