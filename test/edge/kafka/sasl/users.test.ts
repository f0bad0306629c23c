// kafka.sasl.users to mechanisms: each mechanism offered when some user has its credential,
// and a user without any, a credential out of range or a name listed twice refused at start
// naming the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { formatScramCredential, makeScramCredential } from '../../../../edge/auth/scram-credential.ts';
import { saslMechanismsOf } from '../../../../edge/kafka/sasl/users.ts';

const passwordHash = await hashPassword('admin-secret');
const scramSha256 = formatScramCredential(await makeScramCredential('sha256', 'alice-secret'));
const scramSha512 = formatScramCredential(await makeScramCredential('sha512', 'bob-secret'));
const names = (users: Parameters<typeof saslMechanismsOf>[0]) => saslMechanismsOf(users, 'kafka.sasl.users').map((mechanism) => mechanism.name);

test('a mechanism is offered when some user has its credential, PLAIN first', () => {
  assert.equal(names([{ username: 'admin', passwordHash }, { username: 'alice', scramSha256 }, { username: 'bob', scramSha512 }]), ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  assert.equal(names([{ username: 'alice', scramSha256, scramSha512 }]), ['SCRAM-SHA-256', 'SCRAM-SHA-512'], 'one user may hold several');
  assert.equal(names([{ username: 'admin', passwordHash }]), ['PLAIN'], 'PLAIN alone, as before');
  assert.equal(names([]), []);
});

test('refused at start, naming the key: no credential, a credential it cannot use, a user listed twice', () => {
  const tooFew = scramSha256.replace(/^scram-sha-256\$8192\$/, 'scram-sha-256$1000$');
  const cases: [Parameters<typeof saslMechanismsOf>[0], RegExp][] = [
    [[{ username: 'admin', passwordHash }, { username: 'carol' }], /^kafka\.sasl\.users\[1\]: "carol" has none of passwordHash, scramSha256, scramSha512/],
    [[{ username: 'alice', scramSha256: tooFew }], /^kafka\.sasl\.users\[0\]\.scramSha256: the credential of "alice" is not usable: the iterations must be 4096-16384, not 1000/],
    [[{ username: 'alice', scramSha512: scramSha256 }], /^kafka\.sasl\.users\[0\]\.scramSha512: the credential of "alice" is not usable: expected scram-sha-512/],
    [[{ username: 'alice', scramSha256 }, { username: 'alice', passwordHash }], /^kafka\.sasl\.users\[1\]\.username: "alice" is listed twice/],
  ];
  for (const [users, message] of cases) assert.throws(() => saslMechanismsOf(users, 'kafka.sasl.users'), (error: Error) => message.test(error.message), String(message));
});

test.run();
