// Which users a reload revokes: those removed and those whose credentials changed, not those
// whose only change is elsewhere (permissions); and the admin port's password check of a
// user who holds a SCRAM credential only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { revokedUsers } from '../../../edge/auth/revoked-users.ts';
import { PasswordBook } from '../../../edge/auth/password-book.ts';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';

test('removed users and users with other credentials are revoked; unchanged ones and new ones are not', () => {
  const before = [
    { username: 'kept', passwordHash: 'scrypt$a' },
    { username: 'removed', passwordHash: 'scrypt$b' },
    { username: 'rotated', scramSha256: 'scram-sha-256$old' },
    { username: 'widened', passwordHash: 'scrypt$c', publish: ['a/#'] },
  ];
  const after = [
    { username: 'kept', passwordHash: 'scrypt$a' },
    { username: 'rotated', scramSha256: 'scram-sha-256$new' },
    { username: 'widened', passwordHash: 'scrypt$c', publish: ['#'] },
    { username: 'added', passwordHash: 'scrypt$d' },
  ];
  assert.equal([...revokedUsers(before, after)].sort(), ['removed', 'rotated']);
  assert.equal([...revokedUsers(before, before)], []);
});

test('a SCRAM-only user\'s password is checked against its StoredKey where the book accepts SCRAM, and refused where it does not', async () => {
  const users = [{ username: 'carol', scramSha512: formatScramCredential(await makeScramCredential('sha512', 'carol-password')) }];
  const admin = PasswordBook.fromUsers(users, 'kafka.sasl.users', { acceptScram: true });
  assert.ok(await admin.check('carol', Buffer.from('carol-password')));
  assert.not.ok(await admin.check('carol', Buffer.from('carol-passwore')));
  assert.ok(await admin.check('carol', Buffer.from('carol-password')), 'again, from the remembered HMAC');
  const plain = PasswordBook.fromUsers(users, 'kafka.sasl.users');
  assert.not.ok(await plain.check('carol', Buffer.from('carol-password')), 'SASL PLAIN takes passwordHash users only');
});

test.run();
