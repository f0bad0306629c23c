// The YAML configuration file as an operator (or a broken editor, or a half-written
// flash page) leaves it: any bytes must end in a valid configuration or a CONFIG_INVALID
// error naming the file, the line and the key.
import { isTributaryError } from '../../../shared/errors.ts';
import { parseConfig } from '../../../shared/config/load.ts';
import type { FuzzTarget } from './target.ts';

/** yaml builds a document tree of a few objects per input byte; Buffers are not its working memory. */
const ALLOCATION_PER_INPUT_BYTE = 16;
const ALLOCATION_BASE_BYTES = 64 * 1024;

const target: FuzzTarget = {
  fuzz(input) {
    parseConfig(input.toString('utf8'), 'fuzz.yaml');
  },
  isExpectedError: (error) => isTributaryError(error, 'CONFIG_INVALID'),
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;
