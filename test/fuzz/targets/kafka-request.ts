// Kafka request frames (the bytes after the 4-byte size prefix, as the server cuts them):
// the header, then the body of whichever served API and version the header names. A frame
// the decoder cannot read must be refused with a KafkaProtocolError that says where.
import { decodeRequest, KafkaProtocolError } from '../../../shared/kafka/wire/index.ts';
import type { FuzzTarget } from './target.ts';

/** Bodies are views of the frame; what is copied (strings, arrays of small objects) is a few times the frame. */
const ALLOCATION_PER_INPUT_BYTE = 8;
const ALLOCATION_BASE_BYTES = 64 * 1024;

const target: FuzzTarget = {
  fuzz(input) {
    decodeRequest(input);
  },
  isExpectedError: (error) => error instanceof KafkaProtocolError,
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;
