// Credentials made as a user makes them: `tributary config hash-password [--scram-sha-256|512]`
// with the password on standard input, as a script runs it.
import * as assert from 'uvu/assert';
import { runCli } from '../../../edge/cli/run-cli.ts';

export async function hashWithCli(password: string, ...flags: string[]): Promise<string> {
  const result = await runCli(['config', 'hash-password', ...flags], { stdin: `${password}\n` });
  assert.is(result.code, 0, result.stderr);
  return result.stdout.trim();
}
