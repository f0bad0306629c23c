// The HiveMQ MQTT Client (Java, Maven Central) signs in to the real daemon with SCRAM-SHA-256
// through MQTT 5 enhanced authentication: AUTH 0x18 carries server-first, the CONNACK the
// server's signature, which the client checks; it publishes, re-authenticates (AUTH 0x19,
// answered with AUTH 0x00 and the signature again), and a wrong password is refused with
// CONNACK 0x86.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { ClientProcess } from './support/client-process.ts';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';

const JARS = join(process.env.TRIBUTARY_CACHE_DIR ?? join(homedir(), '.cache', 'tributary'), 'apache-kafka', 'hivemq-mqtt-client', 'lib');
const CLIENT = resolve(import.meta.dirname, 'HiveMqScram.java');

test('HiveMQ MQTT Client 1.3: SCRAM-SHA-256 over AUTH signs in, publishes, re-authenticates; a wrong password gets CONNACK 0x86', async () => {
  if (!existsSync(JARS)) throw new Error(`the HiveMQ MQTT Client is not in ${JARS}: run bash scripts/apache-kafka/fetch.sh (.ci/run does)`);
  const credential = formatScramCredential(await makeScramCredential('sha256', 'pump-7 password'));
  const daemon = await Daemon.start({ config: { mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'pump-7', scramSha256: credential, publish: ['sensors/pump-7/#'] }] } } } });
  try {
    const classpath = readdirSync(JARS).filter((name) => name.endsWith('.jar')).map((name) => join(JARS, name)).join(':');
    const client = new ClientProcess('java', ['-cp', classpath, CLIENT, String(daemon.ports.mqtt), 'pump-7', 'pump-7 password']);
    assert.equal(await client.nextEventOf('server-first'), { event: 'server-first', reasonCode: 'CONTINUE_AUTHENTICATION', iterations: '8192' });
    assert.is((await client.nextEventOf('server-final')).verified, true, 'the CONNACK carries the server\'s signature');
    assert.equal(await client.nextEventOf('connected'), { event: 'connected', reasonCode: 'SUCCESS', method: 'SCRAM-SHA-256' });
    assert.is((await client.nextEventOf('published')).error, false);
    assert.is((await client.nextEventOf('server-first')).reasonCode, 'CONTINUE_AUTHENTICATION', 're-authentication runs the exchange again');
    assert.is((await client.nextEventOf('reauthenticated')).reasonCode, 'SUCCESS');
    assert.is((await client.nextEventOf('server-final')).verified, true);
    assert.is((await client.nextEventOf('refused')).reasonCode, 'BAD_USER_NAME_OR_PASSWORD');
    await client.nextEventOf('done');
    await client.succeeded();
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), ['3.2']);
  } finally {
    await daemon.cleanup();
  }
});

test.run();
