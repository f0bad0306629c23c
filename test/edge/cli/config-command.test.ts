// `tributary config hash-password --scram-sha-256|--scram-sha-512`, run as an operator runs
// it with the password on standard input: it prints a credential the broker accepts, whose
// keys are the password's under the printed salt and iterations, and never the password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatScramCredential, makeScramCredential, parseScramCredential } from '../../../edge/auth/scram-credential.ts';
import { runCli } from './run-cli.ts';

test('each flag prints a credential of its hash for the password read from standard input', async () => {
  for (const [flag, hash] of [['--scram-sha-256', 'sha256'], ['--scram-sha-512', 'sha512']] as const) {
    const result = await runCli(['config', 'hash-password', flag], { stdin: 'pencil\n' });
    assert.is(result.code, 0, result.stderr);
    const printed = result.stdout.trim();
    const credential = parseScramCredential(hash, printed);
    assert.ok(typeof credential !== 'string', `${printed}: ${String(credential)}`);
    assert.is(formatScramCredential(await makeScramCredential(hash, 'pencil', credential.salt, credential.iterations)), printed, 'the keys are those of "pencil" (the newline is not part of it)');
    assert.not.ok(result.stdout.includes('pencil') || result.stderr.includes('pencil'), 'the password is not printed');
  }
});

test('both flags at once, and an empty password, are refused with a reason', async () => {
  const both = await runCli(['config', 'hash-password', '--scram-sha-256', '--scram-sha-512'], { stdin: 'pencil\n' });
  assert.is(both.code, 2);
  assert.match(both.stderr, /give --scram-sha-256 or --scram-sha-512, not both/);
  const empty = await runCli(['config', 'hash-password', '--scram-sha-512'], { stdin: '\n' });
  assert.is(empty.code, 1);
  assert.match(empty.stderr, /the password is empty/);
});

test.run();
