// What the daemon logged while real clients used it: an error-level line means the broker
// hit something it did not expect (it answered UNKNOWN_SERVER_ERROR or dropped a request),
// which a passing client test would otherwise hide.
import * as assert from 'uvu/assert';
import type { Daemon } from '../../../../helpers/daemon.ts';

/** pino's numeric level of "error". */
const ERROR_LEVEL = 50;

export function assertNoServerErrors(daemon: Daemon): void {
  const errors = daemon.logLines.filter((line) => typeof line.level === 'number' && line.level >= ERROR_LEVEL);
  assert.equal(errors.map((line) => `${line.msg}: ${JSON.stringify(line.err ?? {})}`.slice(0, 500)), [], 'the broker logged no errors');
}
