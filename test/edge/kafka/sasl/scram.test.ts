// SCRAM-SHA-256 and SCRAM-SHA-512 exchanges against the mechanism alone: RFC 7677 §3's
// example message for message, a client computed here from the password for SHA-512, and
// every refusal RFC 5802 asks for (wrong proof, unknown user, channel binding, extensions,
// nonces, escapes, sizes) with the reason the log gets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hmac, makeScramCredential, saltedPassword, type ScramCredential } from '../../../../edge/auth/scram-credential.ts';
import type { SaslStep } from '../../../../edge/auth/sasl-mechanism.ts';
import { SCRAM_MESSAGE_BYTES_MAX, ScramMechanism } from '../../../../edge/auth/scram-mechanism.ts';
import { escapeSaslName, unescapeSaslName } from '../../../../edge/auth/scram-messages.ts';
import { scramClientFinal } from '../clients/support/raw-sasl.ts';

// RFC 7677 §3: user "user", password "pencil", this salt and 4096 iterations, these nonces.
const RFC_SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const RFC_CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const RFC_SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const RFC_SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const RFC_CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const RFC_SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const rfcCredential = await makeScramCredential('sha256', 'pencil', RFC_SALT, 4096);

function rfcMechanism(credentials: Map<string, ScramCredential> = new Map([['user', rfcCredential]])): ScramMechanism {
  return new ScramMechanism('sha256', credentials, { serverNonce: () => RFC_SERVER_NONCE });
}

async function steps(mechanism: ScramMechanism, ...messages: string[]): Promise<SaslStep[]> {
  const exchange = mechanism.start();
  const results: SaslStep[] = [];
  for (const message of messages) results.push(await exchange.step(Buffer.from(message)));
  return results;
}

function responseOf(step: SaslStep | undefined): string {
  assert.ok(step !== undefined && step.outcome !== 'failed', `a step that goes on, not ${JSON.stringify(step)}`);
  return step.response.toString();
}

function refusal(step: SaslStep | undefined): { reason: string; user: string | undefined; clientMessage: string | undefined } {
  assert.ok(step?.outcome === 'failed', `a refusal, not ${JSON.stringify(step)}`);
  return { reason: step.reason, user: step.user, clientMessage: step.clientMessage };
}

const clientFinal = scramClientFinal;

test('RFC 7677 §3: the server answers the example exchange with its server-first and server-final messages', async () => {
  const [first, final] = await steps(rfcMechanism(), RFC_CLIENT_FIRST, RFC_CLIENT_FINAL);
  assert.is(first?.outcome, 'challenge');
  assert.is(responseOf(first), RFC_SERVER_FIRST);
  assert.is(final?.outcome, 'authenticated');
  assert.is(responseOf(final), RFC_SERVER_FINAL);
  assert.is(final?.outcome === 'authenticated' && final.user, 'user');
});

test('RFC 7677 §3 with another password: the proof does not match, and the client is not told whether the user exists', async () => {
  const wrong = await makeScramCredential('sha256', 'pencil2', RFC_SALT, 4096);
  const [, final] = await steps(rfcMechanism(new Map([['user', wrong]])), RFC_CLIENT_FIRST, RFC_CLIENT_FINAL);
  assert.equal(refusal(final), { reason: 'SCRAM-SHA-256: wrong password (the client proof does not match)', user: 'user', clientMessage: undefined });
});

test('SCRAM-SHA-512: a client that knows the password is accepted and can check the server signature; another password is refused', async () => {
  const credential = await makeScramCredential('sha512', 'hunter2-but-longer');
  const mechanism = new ScramMechanism('sha512', new Map([['bob', credential]]));
  assert.is(mechanism.name, 'SCRAM-SHA-512');
  for (const [password, outcome] of [['hunter2-but-longer', 'authenticated'], ['hunter3', 'failed']] as const) {
    const exchange = mechanism.start();
    const bare = 'n=bob,r=fyko+d2lbbFgONRv9qkxdawL';
    const serverFirstText = responseOf(await exchange.step(Buffer.from(`n,,${bare}`)));
    assert.match(serverFirstText, /^r=fyko\+d2lbbFgONRv9qkxdawL[A-Za-z0-9+/]{24},s=[A-Za-z0-9+/=]+,i=8192$/, 'the client nonce is the prefix of a server nonce with 24 characters of its own');
    const finalText = await clientFinal('sha512', password, bare, serverFirstText);
    const final = await exchange.step(Buffer.from(finalText));
    assert.is(final.outcome, outcome);
    if (final.outcome === 'authenticated') {
      const salted = await saltedPassword('sha512', password, credential.salt, credential.iterations);
      const expected = hmac('sha512', hmac('sha512', salted, 'Server Key'), `${bare},${serverFirstText},${finalText.slice(0, finalText.lastIndexOf(',p='))}`);
      assert.is(final.response.toString(), `v=${expected.toString('base64')}`, 'the ServerSignature the client expects');
    }
  }
});

test('two exchanges get different server nonces', async () => {
  const mechanism = new ScramMechanism('sha256', new Map([['user', rfcCredential]]));
  const [a] = await steps(mechanism, RFC_CLIENT_FIRST);
  const [b] = await steps(mechanism, RFC_CLIENT_FIRST);
  assert.is.not(responseOf(a).split(',')[0], responseOf(b).split(',')[0]);
});

test('an unknown user gets a server-first message like a known one, with the same salt at every attempt, and is refused as a wrong password is', async () => {
  const mechanism = rfcMechanism();
  const [first, final] = await steps(mechanism, 'n,,n=mallory,r=rOprNGfwEbeRWgbNEkqO', RFC_CLIENT_FINAL);
  const [again] = await steps(mechanism, 'n,,n=mallory,r=rOprNGfwEbeRWgbNEkqO');
  const [other] = await steps(mechanism, 'n,,n=trudy,r=rOprNGfwEbeRWgbNEkqO');
  assert.match(responseOf(first), /^r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj\)hNlF\$k0,s=[A-Za-z0-9+/]{22}==,i=8192$/);
  assert.is(responseOf(again), responseOf(first), 'the same salt for the same name');
  assert.is.not(responseOf(other), responseOf(first), 'another salt for another name');
  assert.equal(refusal(final), { reason: 'SCRAM-SHA-256: unknown user (no scramSha256 credential)', user: 'mallory', clientMessage: undefined });
});

test('malformed exchanges are refused with a reason for the log and for the client', async () => {
  const cases: [string[], RegExp][] = [
    [['p=tls-unique,,n=user,r=abc'], /channel binding is not supported \(the GS2 flag must be "n", not "p=tls-unique"\)/],
    [['y,,n=user,r=abc'], /channel binding is not supported/],
    [['n,,m=ext,n=user,r=abc'], /the mandatory extension m= is not supported/],
    [['n,,n=user,r=abc,tokenauth=true'], /KIP-84 tokenauth extension is not supported/],
    [['n,,n=user,r=abc,x=1'], /SCRAM extensions are not supported \(the client sent "x"\)/],
    [['n,,n=us=er,r=abc'], /user name is empty or has an "="/],
    [['n,,n=,r=abc'], /user name is empty/],
    [['n,,n=user,r=a,c'], /SCRAM extensions are not supported/],
    [['n,,n=user'], /client nonce \(r=\) is missing/],
    [['n,'], /no GS2 header/],
    [['n,a=admin,n=user,r=abc'], /authzid "admin" is not the user name/],
    [[RFC_CLIENT_FIRST, 'c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='], /nonce \(r=\) is not the one the server sent/],
    [[RFC_CLIENT_FIRST, RFC_CLIENT_FINAL.replace('c=biws', 'c=eSws')], /channel binding \(c=\) does not match/],
    [[RFC_CLIENT_FIRST, RFC_CLIENT_FINAL.replace(',p=', ',x=1,p=')], /SCRAM extensions are not supported/],
    [[RFC_CLIENT_FIRST, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'], /no proof/],
    [[RFC_CLIENT_FIRST, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=not base64!'], /proof \(p=\) is not base64/],
    [[RFC_CLIENT_FIRST, RFC_CLIENT_FINAL, RFC_CLIENT_FINAL], /the exchange is over/],
  ];
  for (const [messages, reason] of cases) {
    const results = await steps(rfcMechanism(), ...messages);
    const last = refusal(results.at(-1));
    assert.match(last.reason, reason, messages.join(' | '));
    if (!/exchange is over/.test(last.reason)) assert.match(String(last.clientMessage), reason, 'the client is told');
  }
});

test('librdkafka\'s client-final, whose r= repeats the client nonce in front of the server\'s, is accepted (as Kafka accepts it); any other prefix is not', async () => {
  const bare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
  for (const [prefix, outcome] of [['rOprNGfwEbeRWgbNEkqO', 'authenticated'], ['x', 'failed']] as const) {
    const exchange = rfcMechanism().start();
    const serverFirstText = responseOf(await exchange.step(Buffer.from(`n,,${bare}`)));
    const final = await exchange.step(Buffer.from(await clientFinal('sha256', 'pencil', bare, serverFirstText, { noncePrefix: prefix })));
    assert.is(final.outcome, outcome, prefix);
  }
});

test('a proof of the wrong length is a wrong password, not a crash', async () => {
  const [, final] = await steps(rfcMechanism(), RFC_CLIENT_FIRST, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA');
  assert.is(refusal(final).reason, 'SCRAM-SHA-256: wrong password (the client proof does not match)');
});

test(`a message longer than SCRAM_MESSAGE_BYTES_MAX (${SCRAM_MESSAGE_BYTES_MAX}) or not UTF-8 is refused before it is parsed`, async () => {
  const exchange = rfcMechanism().start();
  const long = await exchange.step(Buffer.from(`n,,n=user,r=${'a'.repeat(SCRAM_MESSAGE_BYTES_MAX)}`));
  assert.match(refusal(long).reason, /longer than 4096/);
  const notUtf8 = await rfcMechanism().start().step(Buffer.from([0x6e, 0x2c, 0x2c, 0xff]));
  assert.match(refusal(notUtf8).reason, /not UTF-8/);
  const [atLimit] = await steps(rfcMechanism(), `n,,n=user,r=${'a'.repeat(SCRAM_MESSAGE_BYTES_MAX - 'n,,n=user,r='.length)}`);
  assert.is(atLimit?.outcome, 'challenge', 'a message of exactly the limit is read');
});

test('arbitrary tokens at either step are refused or challenged, never thrown', async () => {
  // A fixed sequence of bytes, so that a failure can be replayed: SCRAM's own characters are
  // over-represented so that the parser gets past its first checks.
  let state = 7;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648);
  const alphabet = Buffer.from('n,=ar2C3Dcpv biwsxm\u0000\u00ff');
  for (let round = 0; round < 2000; round += 1) {
    const token = Buffer.from(Array.from({ length: next() % 64 }, () => alphabet[next() % alphabet.length]!));
    const exchange = rfcMechanism().start();
    const first = await exchange.step(round % 2 === 0 ? token : Buffer.concat([Buffer.from('n,,n=user,r=abc'), token]));
    assert.ok(first.outcome === 'failed' || first.outcome === 'challenge', token.toString('hex'));
    if (first.outcome === 'challenge') assert.is((await exchange.step(token)).outcome, 'failed', token.toString('hex'));
  }
});

test('user names with "," and "=" travel escaped as =2C and =3D (RFC 5802 §5.1) and are found unescaped', async () => {
  assert.is(escapeSaslName('a,b=c'), 'a=2Cb=3Dc');
  assert.is(unescapeSaslName('a=2Cb=3Dc'), 'a,b=c');
  assert.is(unescapeSaslName('a=2cb'), undefined, 'the escapes are upper case');
  const credential = await makeScramCredential('sha256', 'pencil', RFC_SALT, 4096);
  const mechanism = new ScramMechanism('sha256', new Map([['plant,a=1', credential]]));
  const exchange = mechanism.start();
  const bare = `n=${escapeSaslName('plant,a=1')},r=abc`;
  const serverFirstText = responseOf(await exchange.step(Buffer.from(`n,,${bare}`)));
  const final = await exchange.step(Buffer.from(await clientFinal('sha256', 'pencil', bare, serverFirstText)));
  assert.is(final.outcome === 'authenticated' && final.user, 'plant,a=1');
});

test('an authzid equal to the user name is accepted (c= then repeats it)', async () => {
  const exchange = rfcMechanism().start();
  const bare = 'n=user,r=abc';
  const serverFirstText = responseOf(await exchange.step(Buffer.from(`n,a=user,${bare}`)));
  const step = await exchange.step(Buffer.from(await clientFinal('sha256', 'pencil', bare, serverFirstText, { gs2Header: 'n,a=user,' })));
  assert.is(step.outcome, 'authenticated');
});

test.run();
