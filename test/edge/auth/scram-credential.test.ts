// SCRAM credentials as the YAML holds them: made from a password with a random salt and
// read back; refused with a sentence when the prefix, iterations, salt or key sizes are
// wrong; and a malformed one in the file named by line and key before the daemon starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatScramCredential, makeScramCredential, parseScramCredential, SCRAM_ITERATIONS_MIN, SCRAM_ITERATIONS_NEW } from '../../../edge/auth/scram-credential.ts';
import { parseConfig } from '../../../shared/config/load.ts';

test('a new credential has a random 16-byte salt, the default iterations, keys as long as the hash, and reads back as written', async () => {
  for (const [hash, keyBytes] of [['sha256', 32], ['sha512', 64]] as const) {
    const a = await makeScramCredential(hash, 'same password');
    const b = await makeScramCredential(hash, 'same password');
    assert.is(a.salt.length, 16);
    assert.is.not(a.salt.toString('hex'), b.salt.toString('hex'), 'a random salt each time');
    assert.is.not(a.storedKey.toString('hex'), b.storedKey.toString('hex'), 'so the keys differ too');
    assert.is(a.iterations, SCRAM_ITERATIONS_NEW);
    assert.is(a.storedKey.length, keyBytes);
    const text = formatScramCredential(a);
    assert.match(text, new RegExp(`^scram-sha-${hash.slice(3)}\\$${SCRAM_ITERATIONS_NEW}\\$`));
    assert.equal(parseScramCredential(hash, text), a);
  }
});

test('unusable credentials are refused with what is wrong', async () => {
  const good = formatScramCredential(await makeScramCredential('sha256', 'pencil'));
  const [prefix, , salt, storedKey, serverKey] = good.split('$');
  const cases: [string, RegExp][] = [
    ['scrypt$16384$8$1$c2FsdA==$a2V5', /expected scram-sha-256\$iterations\$salt\$storedKey\$serverKey/],
    [[prefix, SCRAM_ITERATIONS_MIN - 1, salt, storedKey, serverKey].join('$'), /iterations must be 4096-16384, not 4095/],
    [[prefix, 16_385, salt, storedKey, serverKey].join('$'), /iterations must be 4096-16384, not 16385/],
    [[prefix, 4096, 'c2FsdA==', storedKey, serverKey].join('$'), /salt must be at least 8 bytes, not 4/],
    [[prefix, 4096, salt, storedKey, 'c2FsdA=='].join('$'), /must be 32 bytes each for SCRAM-SHA-256/],
  ];
  for (const [text, message] of cases) assert.match(String(parseScramCredential('sha256', text)), message, text);
  assert.match(String(parseScramCredential('sha512', good)), /expected scram-sha-512\$/, 'a SHA-256 credential is not a SHA-512 one');
});

test('a malformed credential in the YAML file is named by file, line and key', () => {
  const yaml = [
    'kafka:',
    '  sasl:',
    '    users:',
    '      - username: alice',
    '        scramSha256: "scram-sha-256$4096$c2FsdA==$short$short"',
    '      - username: bob',
    '        scramSha512: "scram-sha-256$4096$c2FsdHNhbHQ=$AAAA$AAAA"',
  ].join('\n');
  const error = (() => { try { parseConfig(yaml, 'edge.yaml'); return undefined; } catch (caught) { return caught as Error; } })();
  assert.match(String(error?.message), /edge\.yaml:5: kafka\.sasl\.users\.0\.scramSha256: must match pattern/);
  assert.match(String(error?.message), /edge\.yaml:7: kafka\.sasl\.users\.1\.scramSha512: must match pattern/);
});

test.run();
