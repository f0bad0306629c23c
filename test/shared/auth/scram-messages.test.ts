// The client's side of the SCRAM messages (RFC 5802 §7): what a server sends is read, or
// refused with a sentence saying what is wrong, before any key is derived from it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientFinalWithoutProof, clientFirstBare, GS2_HEADER_PLAIN, parseClientFinal, parseClientFirst, parseServerFinal, parseServerFirst } from '../../../shared/auth/scram-messages.ts';

const NONCE = 'fyko+d2lbbFgONRv9qkxdawL';

test('what the client writes, the server side reads back', () => {
  const first = parseClientFirst(GS2_HEADER_PLAIN + clientFirstBare('user=a,b', NONCE));
  assert.ok(typeof first !== 'string', String(first));
  assert.equal([first.username, first.clientNonce, first.authorizationId], ['user=a,b', NONCE, undefined]);
  const final = parseClientFinal(`${clientFinalWithoutProof(GS2_HEADER_PLAIN, `${NONCE}3rfcNHYJY1ZVvWVs7j`)},p=dHpbY2FsdA==`);
  assert.ok(typeof final !== 'string', String(final));
  assert.equal([final.channelBinding, final.nonce], ['biws', `${NONCE}3rfcNHYJY1ZVvWVs7j`]);
});

test('reads the server-first message of RFC 5802 §5', () => {
  assert.equal(parseServerFirst(`r=${NONCE}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096`, NONCE), { nonce: `${NONCE}3rfcNHYJY1ZVvWVs7j`, salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'), iterations: 4096 });
});

test('refuses a server-first message that does not extend the client nonce, or lacks salt or iterations', () => {
  assert.is(parseServerFirst('r=someone-elses-nonce,s=QSXCR+Q6sek8bf92,i=4096', NONCE), 'the server nonce does not extend the client nonce');
  assert.is(parseServerFirst(`r=${NONCE},s=QSXCR+Q6sek8bf92,i=4096`, NONCE), 'the server nonce does not extend the client nonce');
  assert.is(parseServerFirst(`r=${NONCE}x,s=not base64!,i=4096`, NONCE), 'the server-first message has no base64 salt (s=)');
  assert.is(parseServerFirst(`r=${NONCE}x,s=QSXCR+Q6sek8bf92,i=many`, NONCE), 'the server-first message has no iteration count (i=)');
  assert.is(parseServerFirst('e=unknown-user', NONCE), 'the server refused the client-first message: unknown-user');
  assert.match(String(parseServerFirst('m=ext,r=x', NONCE)), /mandatory extension m=/);
});

test('reads the server signature, or says the server refused', () => {
  assert.equal(parseServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='), Buffer.from('rmF9pqV8S7suAoZWja4dJRkFsKQ=', 'base64'));
  assert.is(parseServerFinal('e=invalid-proof'), 'the server refused the proof: invalid-proof');
  assert.is(parseServerFinal('v=###'), 'the server-final message has no base64 verifier (v=)');
});

test.run();
