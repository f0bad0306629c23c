import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANONYMOUS, formatPrincipal, parsePrincipal, samePrincipal, userPrincipal } from '../../../edge/auth/principal.ts';

test('a user name becomes User:name and reads back the same', () => {
  assert.is(formatPrincipal(userPrincipal('alice')), 'User:alice');
  assert.equal(parsePrincipal('User:alice'), userPrincipal('alice'));
  assert.equal(parsePrincipal('User:CN=device-7,O=Acme'), userPrincipal('CN=device-7,O=Acme'), 'only the first colon separates the type');
  assert.ok(samePrincipal(parsePrincipal('User:*') as never, userPrincipal('*')));
});

test('an unauthenticated client is User:ANONYMOUS, as in Kafka', () => {
  assert.is(formatPrincipal(ANONYMOUS), 'User:ANONYMOUS');
  assert.ok(Object.isFrozen(ANONYMOUS));
});

test('text that is not a User principal is refused with the reason', () => {
  assert.match(parsePrincipal('alice') as string, /not a principal: expected User:<name>/);
  assert.match(parsePrincipal('Group:ops') as string, /principal type "Group"/);
  assert.match(parsePrincipal('User:') as string, /empty name/);
});

test.run();
