// An MQTT byte stream as a device's socket delivers it, in whatever pieces TCP cuts it
// into, through the connection guard the broker reads every connection with: framing, the
// size limit before buffering, and the packet parser with every MUST of the spec about a
// packet's form (edge/mqtt/packets/inbound.ts). The CONNECT's protocol level decides
// whether the rest is read as MQTT 3.1.1 or 5.0; the mqtt-311 and mqtt-5 targets differ only
// in their seeds. A violation is reported through the guard's callback; nothing may throw.
//
// Input layout: one byte that chooses the read sizes (0: one read; n: reads of 1..n bytes,
// cycling), then the stream.
import { ConnectionGuard } from '../../../edge/mqtt/connection-guard.ts';
import type { FuzzTarget } from './target.ts';

/** The broker's defaults (mqtt.limits). */
const LIMITS = { maxPacketBytes: 262_144, maxTopicLevels: 16 };
/**
 * The guard holds at most one partial packet, joined once it is complete, and each parsed
 * packet copies its strings and views its payload: a few copies of the input at most.
 */
const ALLOCATION_PER_INPUT_BYTE = 8;
const ALLOCATION_BASE_BYTES = 64 * 1024;

const target: FuzzTarget = {
  fuzz(input) {
    const cut = input[0] ?? 0;
    const stream = input.subarray(1);
    const guard = new ConnectionGuard({ limits: LIMITS, onViolation: () => {} });
    for (let position = 0, step = 0; position < stream.length && !guard.violated; step++) {
      const size = cut === 0 ? stream.length : 1 + (step % cut);
      guard.read(stream.subarray(position, position + size), () => {});
      position += size;
    }
  },
  // The guard reports bad input through onViolation, never by throwing.
  isExpectedError: () => false,
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;
