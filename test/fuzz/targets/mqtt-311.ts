// An MQTT 3.1.1 byte stream as a device's socket delivers it, in whatever pieces TCP cuts
// it into: first the connection guard (framing, the size limit before buffering, the MUSTs
// of the spec it checks), then the packet parser aedes runs on what the guard lets through
// (mqtt-packet, protocol level 4). A violation is reported through the guard's callback and
// malformed packets through the parser's 'error' event; neither may throw.
//
// Input layout: one byte that chooses the read sizes (0: one read; n: reads of 1..n bytes,
// cycling), then the stream. An `mqtt-5` target (protocol level 5, properties) goes beside
// this one when the broker serves MQTT 5.
import { createRequire } from 'node:module';
import { ConnectionGuard } from '../../../edge/mqtt/connection-guard.ts';
import type { FuzzTarget } from './target.ts';

interface PacketParser {
  parse(chunk: Buffer): number;
  on(event: 'packet' | 'error', listener: (value: unknown) => void): void;
}
const mqttPacket = createRequire(import.meta.url)('mqtt-packet') as { parser(options: { protocolVersion: number }): PacketParser };

/** The broker's defaults (mqtt.limits). */
const LIMITS = { maxPacketBytes: 262_144, maxTopicLevels: 16 };
const MQTT_311_PROTOCOL_LEVEL = 4;
/** The guard buffers at most one packet; the parser copies what it keeps. */
const ALLOCATION_PER_INPUT_BYTE = 8;
const ALLOCATION_BASE_BYTES = 64 * 1024;

const target: FuzzTarget = {
  fuzz(input) {
    const cut = input[0] ?? 0;
    const stream = input.subarray(1);
    const guard = new ConnectionGuard({ limits: LIMITS, onViolation: () => {} });
    const parser = mqttPacket.parser({ protocolVersion: MQTT_311_PROTOCOL_LEVEL });
    let parserFailed = false;
    parser.on('error', () => { parserFailed = true; });
    parser.on('packet', () => {});
    for (let position = 0, step = 0; position < stream.length && !guard.violated && !parserFailed; step++) {
      const size = cut === 0 ? stream.length : 1 + (step % cut);
      const accepted = guard.accept(stream.subarray(position, position + size));
      position += size;
      if (accepted !== null) parser.parse(accepted);
    }
  },
  // Neither part reports bad input by throwing.
  isExpectedError: () => false,
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;
