// SASL PLAIN on the Kafka listeners (kafka.sasl), started as a user starts it: kafkajs with
// the right password produces and consumes; a wrong password is refused; a client that
// skips SASL has its connection closed at its first request; a listener not named in
// kafka.sasl.listeners stays open, so local applications keep working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { KafkaConfig } from 'kafkajs';
import { Daemon } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../../helpers/certificates.ts';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { kafkajsClient } from './support/kafkajs.ts';
import { ClientResults, npmPackageVersion } from '../../../helpers/client-results.ts';
import { roundTrip } from './support/round-trip.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

/** Outcomes for the README's client matrix (npm run docs:clients). */
const results = new ClientResults({ client: 'kafkajs', version: npmPackageVersion('kafkajs'), distribution: 'npm' }, import.meta.filename);

const PASSWORD = 'kafka-app-secret';
const passwordHash = await hashPassword(PASSWORD);
const users = [{ username: 'dashboard', passwordHash }];

function client(port: number, extra: Partial<KafkaConfig>): ReturnType<typeof kafkajsClient> {
  return kafkajsClient(port, 'sasl-test', { retry: { retries: 0 }, connectionTimeout: 5_000, requestTimeout: 5_000, ...extra });
}

/** Connects an admin client and lists topics; resolves to the error, or undefined when it worked. */
async function adminOutcome(kafka: ReturnType<typeof kafkajsClient>): Promise<Error | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

test('on a listener that requires SASL: the right password produces and consumes, a wrong one and none are refused', () => results.run('sasl-plain', async () => {
  const daemon = await Daemon.start({ config: { kafka: { sasl: { listeners: ['plain'], users } } } });
  try {
    const port = daemon.ports.kafka!;
    assert.equal(await roundTrip(client(port, { sasl: { mechanism: 'plain', username: 'dashboard', password: PASSWORD } }), 'sasl-readings'), ['a', 'b', 'c']);

    const wrong = await adminOutcome(client(port, { sasl: { mechanism: 'plain', username: 'dashboard', password: 'guess' } }));
    assert.match(String(wrong), /SASL|authentication/i, `a wrong password is refused (${String(wrong)})`);
    await daemon.logLine((line) => line.msg === 'Kafka SASL authentication failed: unknown user or wrong password' && line.user === 'dashboard', 'the failure is logged with the user');

    const anonymous = await adminOutcome(client(port, {}));
    assert.ok(anonymous instanceof Error, 'a client without SASL gets nothing');
    await daemon.logLine((line) => line.msg === 'closing Kafka connection' && /before SASL authentication/.test(String(line.reason)), 'the log says why the connection was closed');
    assert.not.ok(JSON.stringify(daemon.logLines).includes(PASSWORD), 'the log never holds a password');
  } finally {
    await daemon.cleanup();
  }
}));

test('SASL over TLS on listeners.kafkaTls while the plain listener stays open for local applications', () => results.run('sasl-plain', async () => {
  const daemon = await Daemon.start({
    config: {
      listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
      kafka: { sasl: { listeners: ['tls'], users } },
    },
  });
  try {
    const secure = client(daemon.ports.kafkaTls!, { ssl: { ca: [readFileSync(BROKER_CERTIFICATE)] }, sasl: { mechanism: 'plain', username: 'dashboard', password: PASSWORD } });
    assert.equal(await roundTrip(secure, 'sasl-ssl-readings'), ['a', 'b', 'c']);
    const unauthenticated = await adminOutcome(client(daemon.ports.kafkaTls!, { ssl: { ca: [readFileSync(BROKER_CERTIFICATE)] } }));
    assert.ok(unauthenticated instanceof Error, 'TLS alone is not enough on that listener');
    assert.is(await adminOutcome(client(daemon.ports.kafka!, {})), undefined, 'the plain listener needs no SASL');
  } finally {
    await daemon.cleanup();
  }
}));

test('SaslHandshake v0 followed by the bare PLAIN token (KIP-43, as kafka-python 2.0.2 sends it): an empty frame accepts it and requests are served; a wrong one closes the connection', async () => {
  const daemon = await Daemon.start({ config: { kafka: { sasl: { listeners: ['plain'], users } } } });
  const bareToken = (password: string) => {
    const token = Buffer.from(`\0dashboard\0${password}`);
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length, 0);
    token.copy(frame, 4);
    return frame;
  };
  try {
    const accepted = await RawKafkaConnection.connect(daemon.ports.kafka!);
    assert.is((await accepted.request(17, 0, { mechanism: 'PLAIN' })).errorCode, 0);
    assert.is((await accepted.replay(bareToken(PASSWORD))).length, 0, 'an empty frame after the right password');
    const metadata = await accepted.request(3, 1, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.is(metadata.brokers.length, 1, 'requests are served once authenticated');
    await accepted.close();

    const refused = await RawKafkaConnection.connect(daemon.ports.kafka!);
    assert.is((await refused.request(17, 0, { mechanism: 'PLAIN' })).errorCode, 0);
    refused.write(bareToken('guess'));
    await refused.closed;
    await daemon.logLine((line) => line.msg === 'Kafka SASL authentication failed: unknown user or wrong password', 'the failure is logged');
  } finally {
    await daemon.cleanup();
  }
});

test('settings no client could get through stop the daemon at start, naming the key', async () => {
  for (const [kafka, message] of [
    [{ sasl: { listeners: ['plain'], users: [] } }, /kafka\.sasl: listeners require SASL but no users are listed/],
    [{ sasl: { listeners: ['tls'], users } }, /kafka\.sasl\.listeners: names tls, but listeners\.kafkaTls\.enabled is false/],
  ] as const) {
    const failure = await Daemon.start({ config: { kafka } }).then(async (daemon) => { await daemon.cleanup(); return undefined; }, (error: Error) => error);
    assert.match(String(failure?.message), message);
  }
});

test.run();
