// MQTT 5 enhanced authentication (section 4.12) with SCRAM-SHA-256, byte by byte: CONNECT
// carries client-first, AUTH 0x18 answers with server-first, AUTH 0x18 carries client-final,
// and the CONNACK carries server-final, which the client checks; a wrong proof gets CONNACK
// 0x86, an unknown method 0x8C, and a connected client re-authenticates with AUTH 0x19.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from 'mqtt-packet';
import { Harness } from './harness.ts';
import { V5Client } from './v5-client.ts';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';
import { ScramClient } from './support/scram-client.ts';

const PASSWORD = 'pump-7 password';
const scramSha256 = formatScramCredential(await makeScramCredential('sha256', PASSWORD));

type Auth = Extract<Packet, { cmd: 'auth' }>;

const harnessConfig = { mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'pump-7', scramSha256, publish: ['sensors/pump-7/#'] }] } } };

async function startExchange(h: Harness, clientId: string, scram: ScramClient, method = 'SCRAM-SHA-256'): Promise<{ client: V5Client; reply: Packet | null }> {
  const client = await V5Client.connect(h.frontEnd.ports.mqtt);
  client.send({ cmd: 'connect', protocolVersion: 5, clean: true, keepalive: 0, clientId, properties: { authenticationMethod: method, authenticationData: scram.first } } as Packet);
  return { client, reply: await client.next() };
}

test('SCRAM-SHA-256 over AUTH: server-first in AUTH 0x18, server-final in the CONNACK; the client publishes within its permissions', async () => {
  const h = await Harness.start(harnessConfig);
  try {
    const scram = new ScramClient('pump-7', PASSWORD);
    const { client, reply } = await startExchange(h, 'pump-7', scram);
    assert.is(reply?.cmd, 'auth');
    const challenge = reply as Auth;
    assert.is(challenge.reasonCode, 0x18, 'Continue authentication');
    assert.is(challenge.properties?.authenticationMethod, 'SCRAM-SHA-256');
    const serverFirst = challenge.properties!.authenticationData!.toString();
    assert.match(serverFirst, /^r=client-nonce-[^,]+,s=[A-Za-z0-9+/=]+,i=8192$/);
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: await scram.final(serverFirst) } } as Packet);
    const connack = await client.nextOf('connack');
    assert.is(connack?.reasonCode, 0, 'accepted');
    assert.is(connack?.properties?.authenticationMethod, 'SCRAM-SHA-256');
    assert.ok(scram.verifies(connack?.properties?.authenticationData), 'server-final proves the broker holds the credential');

    client.send({ cmd: 'publish', topic: 'sensors/pump-7/flow', payload: Buffer.from('3.2'), qos: 1, messageId: 1, retain: false, dup: false } as Packet);
    assert.is((await client.nextOf('puback'))?.reasonCode ?? 0, 0);
    client.send({ cmd: 'publish', topic: 'sensors/other/flow', payload: Buffer.from('1'), qos: 1, messageId: 2, retain: false, dup: false } as Packet);
    assert.is((await client.nextOf('puback'))?.reasonCode, 0x87, 'outside the user\'s permissions, as with a password');

    // Re-authentication (section 4.12.1): AUTH 0x19 with a new client-first, ended by AUTH 0x00.
    const again = new ScramClient('pump-7', PASSWORD);
    client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: again.first } } as Packet);
    const reChallenge = await client.nextOf('auth');
    assert.is(reChallenge?.reasonCode, 0x18);
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: await again.final(reChallenge!.properties!.authenticationData!.toString()) } } as Packet);
    const done = await client.nextOf('auth');
    assert.is(done?.reasonCode, 0, 'AUTH 0x00: re-authenticated');
    assert.ok(again.verifies(done?.properties?.authenticationData));
    // A re-authentication with a wrong password ends the connection with DISCONNECT 0x87.
    const wrong = new ScramClient('pump-7', 'not the password');
    client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: wrong.first } } as Packet);
    const wrongChallenge = await client.nextOf('auth');
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: await wrong.final(wrongChallenge!.properties!.authenticationData!.toString()) } } as Packet);
    assert.is((await client.nextOf('disconnect'))?.reasonCode, 0x87);
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('a wrong proof gets CONNACK 0x86, an unknown user the same after the same steps, an unknown method 0x8C', async () => {
  const h = await Harness.start(harnessConfig);
  try {
    for (const [clientId, username, password] of [['guess', 'pump-7', 'wrong password'], ['stranger', 'nobody', PASSWORD]] as const) {
      const scram = new ScramClient(username, password);
      const { client, reply } = await startExchange(h, clientId, scram);
      assert.is((reply as Auth).reasonCode, 0x18, `${clientId}: a challenge, whoever asks`);
      client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: await scram.final((reply as Auth).properties!.authenticationData!.toString()) } } as Packet);
      const connack = await client.nextOf('connack');
      assert.is(connack?.reasonCode, 0x86, `${clientId}: Bad User Name or Password`);
      assert.is(await client.next(), null, `${clientId}: then the connection closes`);
    }
    const { client, reply } = await startExchange(h, 'kerberos', new ScramClient('pump-7', PASSWORD), 'GSSAPI');
    assert.is(reply?.cmd, 'connack');
    assert.is((reply as Extract<Packet, { cmd: 'connack' }>).reasonCode, 0x8c, 'Bad authentication method');
    assert.match(String((reply as Extract<Packet, { cmd: 'connack' }>).properties?.reasonString), /GSSAPI.*served: SCRAM-SHA-256/);
    await client.close();
    const logged = h.logLines.filter((line) => typeof line.msg === 'string' && line.msg.includes('wrong password (the client proof does not match)'));
    assert.is(logged.length, 1, 'the log says why, the client is told no more than 0x86');
  } finally {
    await h.cleanup();
  }
});

test.run();
