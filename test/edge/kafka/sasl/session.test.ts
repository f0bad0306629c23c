// The SASL exchange on a listener, mechanism by mechanism: PLAIN in one token, and a
// mechanism that challenges before it accepts (as SCRAM does), through SaslAuthenticate and
// through the bare tokens that follow SaslHandshake v0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey } from '../../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../../shared/kafka/protocol/error-codes.ts';
import { silentLogger } from '../../../../shared/logger.ts';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { PasswordBook } from '../../../../edge/auth/password-book.ts';
import type { SaslMechanism, SaslStep } from '../../../../edge/auth/sasl-mechanism.ts';
import { PlainMechanism } from '../../../../edge/kafka/sasl/plain.ts';
import { SaslSession } from '../../../../edge/kafka/sasl/session.ts';

const logger = silentLogger();
const users = PasswordBook.fromUsers([{ username: 'dashboard', passwordHash: await hashPassword('secret') }], 'kafka.sasl.users');
const plainToken = (user: string, password: string): Buffer => Buffer.from(`\0${user}\0${password}`);
const authenticate = (session: SaslSession, authBytes: Buffer) => session.authenticate({ authBytes }, logger, 'test:1');

/** A stand-in for SCRAM's shape: "hello" is answered with a challenge, then "proof" is accepted. */
const challenging: SaslMechanism = {
  name: 'TWO-STEP',
  start() {
    let challenged = false;
    return {
      async step(token: Buffer): Promise<SaslStep> {
        if (!challenged && token.toString() === 'hello') {
          challenged = true;
          return { outcome: 'challenge', response: Buffer.from('nonce') };
        }
        if (challenged && token.toString() === 'proof') return { outcome: 'authenticated', user: 'device', response: Buffer.from('signature') };
        return { outcome: 'failed', reason: 'bad proof', user: undefined };
      },
    };
  },
};

test('PLAIN: a good token authenticates the connection, and only then are other requests served', async () => {
  const session = new SaslSession([new PlainMechanism(users)]);
  assert.match(session.refusal(ApiKey.Metadata, 'Metadata')!, /requires SASL PLAIN/);
  assert.is(session.refusal(ApiKey.ApiVersions, 'ApiVersions'), undefined);
  assert.equal(session.handshake({ mechanism: 'PLAIN' }, 1), { errorCode: ErrorCode.NONE, mechanisms: ['PLAIN'] });
  const answer = await authenticate(session, plainToken('dashboard', 'secret'));
  assert.is(answer.errorCode, ErrorCode.NONE);
  assert.is(session.user, 'dashboard');
  assert.is(session.refusal(ApiKey.Metadata, 'Metadata'), undefined);
  assert.is((await authenticate(session, plainToken('dashboard', 'secret'))).errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'once only');
});

test('a refusal carries the mechanism\'s message for the client when it gives one, and otherwise one that does not say whether the user exists', async () => {
  const telling: SaslMechanism = {
    name: 'TELLING',
    start: () => ({ step: async (token: Buffer): Promise<SaslStep> => (token.toString() === 'malformed'
      ? { outcome: 'failed', reason: 'malformed', user: undefined, clientMessage: 'Authentication failed: the token is malformed' }
      : { outcome: 'failed', reason: 'wrong password', user: 'device' }) }),
  };
  for (const [token, message] of [['malformed', 'Authentication failed: the token is malformed'], ['guess', 'Authentication failed: invalid username or password']]) {
    const session = new SaslSession([telling]);
    session.handshake({ mechanism: 'TELLING' }, 1);
    const answer = await authenticate(session, Buffer.from(token!));
    assert.equal([answer.errorCode, answer.errorMessage], [ErrorCode.SASL_AUTHENTICATION_FAILED, message]);
  }
});

test('PLAIN: a wrong password is refused and the connection then serves nothing', async () => {
  const session = new SaslSession([new PlainMechanism(users)]);
  assert.equal(session.handshake({ mechanism: 'SCRAM-SHA-256' }, 1), { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN'] });
  assert.is((await authenticate(session, plainToken('dashboard', 'secret'))).errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'no handshake yet');
  session.handshake({ mechanism: 'PLAIN' }, 1);
  assert.is((await authenticate(session, plainToken('dashboard', 'guess'))).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.is(session.user, undefined);
  assert.match(session.refusal(ApiKey.ApiVersions, 'ApiVersions')!, /failed/);
});

test('a mechanism that challenges first: its challenge goes back in SaslAuthenticate and the next token completes it', async () => {
  const session = new SaslSession([new PlainMechanism(users), challenging]);
  assert.equal(session.handshake({ mechanism: 'TWO-STEP' }, 1).mechanisms, ['PLAIN', 'TWO-STEP']);
  const first = await authenticate(session, Buffer.from('hello'));
  assert.equal([first.errorCode, first.authBytes.toString()], [ErrorCode.NONE, 'nonce']);
  assert.ok(session.refusal(ApiKey.Metadata, 'Metadata') !== undefined, 'not authenticated after the challenge');
  const second = await authenticate(session, Buffer.from('proof'));
  assert.equal([second.errorCode, second.authBytes.toString()], [ErrorCode.NONE, 'signature']);
  assert.is(session.user, 'device');
});

test('after SaslHandshake v0 the tokens come bare, and each is answered with the mechanism\'s response', async () => {
  const plain = new SaslSession([new PlainMechanism(users)]);
  plain.handshake({ mechanism: 'PLAIN' }, 0);
  assert.ok(plain.expectsBareToken);
  assert.equal(await plain.authenticateBareToken(plainToken('dashboard', 'secret'), logger, 'test:1'), Buffer.alloc(0));
  assert.not.ok(plain.expectsBareToken);
  assert.is(plain.user, 'dashboard');

  const twoStep = new SaslSession([challenging]);
  twoStep.handshake({ mechanism: 'TWO-STEP' }, 0);
  assert.is((await twoStep.authenticateBareToken(Buffer.from('hello'), logger, 'test:1'))?.toString(), 'nonce');
  assert.ok(twoStep.expectsBareToken, 'the exchange goes on in bare tokens');
  assert.is((await twoStep.authenticateBareToken(Buffer.from('proof'), logger, 'test:1'))?.toString(), 'signature');
  assert.is(twoStep.user, 'device');

  const refused = new SaslSession([new PlainMechanism(users)]);
  refused.handshake({ mechanism: 'PLAIN' }, 0);
  assert.is(await refused.authenticateBareToken(plainToken('dashboard', 'guess'), logger, 'test:1'), undefined);
});

test.run();
