// The YAML configuration file as an operator (or a broken editor, or a half-written
// flash page) leaves it: any bytes must end in a valid configuration or a CONFIG_INVALID
// error naming the file, the line and the key.
import { isTributaryError } from '../../../shared/errors.ts';
import { parseConfig } from '../../../shared/config/load.ts';
import type { FuzzTarget } from './target.ts';

/** yaml builds a document tree of a few objects per input byte; Buffers are not its working memory. */
const ALLOCATION_PER_INPUT_BYTE = 16;
const ALLOCATION_BASE_BYTES = 64 * 1024;

/** Raised when the parser printed a Node warning: every yaml warning must become the loader's own error. */
class UnstructuredWarning extends Error {}

const target: FuzzTarget = {
  fuzz(input) {
    // yaml reports what it only warns about through process.emitWarning, which reaches stderr
    // as free text while the file is accepted; here that is a finding. The warnings are
    // collected rather than thrown from the hook, because the loader wraps whatever toJS throws.
    const warnings: string[] = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = ((warning: string | Error) => {
      warnings.push(String(warning));
    }) as typeof process.emitWarning;
    try {
      parseConfig(input.toString('utf8'), 'fuzz.yaml');
    } finally {
      process.emitWarning = emitWarning;
      // A finally that throws replaces the loader's own error: the warning is the finding.
      if (warnings.length > 0) throw new UnstructuredWarning(`the configuration loader let a warning through to stderr: ${warnings[0]}`);
    }
  },
  isExpectedError: (error) => isTributaryError(error, 'CONFIG_INVALID'),
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;
