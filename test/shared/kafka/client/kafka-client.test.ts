// The mirror's Kafka client against the real edge daemon, started as a user starts it: every
// request the mirror and the fleet view make (metadata, topics, offsets, produce, fetch,
// producer ids, group offsets), resets, and SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over
// TLS, with the refusal of a wrong password read as the broker said it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Daemon } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../../helpers/certificates.ts';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { formatScramCredential, makeScramCredential } from '../../../../edge/auth/scram-credential.ts';
import { KafkaClient, type SaslOptions } from '../../../../shared/kafka/client/kafka-client.ts';
import { authenticationFailure, KafkaError } from '../../../../shared/kafka/client/kafka-errors.ts';
import { decodeRecords, encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';

const PASSWORD = 'client-test-secret';
const ca = readFileSync(BROKER_CERTIFICATE);

function clientOf(port: number, options: { sasl?: SaslOptions; tls?: boolean } = {}): KafkaClient {
  return new KafkaClient({
    bootstrap: [`127.0.0.1:${port}`],
    clientId: 'client-test',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 15_000,
    ...(options.tls === true ? { tls: { ca, servername: 'localhost' } } : {}),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  });
}

function batchOf(values: string[]): Buffer {
  return encodeRecordBatch({ records: values.map((value) => ({ value: Buffer.from(value) })) });
}

const daemon = await Daemon.start({
  config: {
    node: { id: 'client-test' },
    listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
    kafka: {
      sasl: {
        listeners: ['tls'],
        users: [{
          username: 'mirror',
          passwordHash: await hashPassword(PASSWORD),
          scramSha256: formatScramCredential(await makeScramCredential('sha256', PASSWORD)),
          scramSha512: formatScramCredential(await makeScramCredential('sha512', PASSWORD)),
        }],
      },
    },
  },
});

test.after(async () => {
  await daemon.cleanup();
});

test('creates and grows a topic, lists it, and says when a topic does not exist', async () => {
  const client = clientOf(daemon.ports.kafka!);
  try {
    assert.is(await client.partitionCount('client-absent'), undefined);
    assert.is(await client.ensureTopic('client-topics', 2, 1), 2);
    assert.is(await client.ensureTopic('client-topics', 2, 1), 2, 'an existing topic is left as it is');
    assert.is(await client.ensureTopic('client-topics', 3, 1), 3, 'partitions are added');
    assert.is(await client.partitionCount('client-topics'), 3);
    assert.is((await client.listTopics()).get('client-topics'), 3);
    await client.probe();
  } finally {
    await client.close();
  }
});

test('produces batches as they were made and fetches them back as bytes, with their offsets', async () => {
  const client = clientOf(daemon.ports.kafka!);
  try {
    await client.ensureTopic('client-data', 1, 1);
    const first = await client.produce('client-data', 0, batchOf(['a', 'b']));
    assert.equal([first.errorCode, first.baseOffset], [KafkaError.NONE, 0n]);
    // Pipelined on one connection: many requests on the way at once, answered in order.
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, index) => client.produce('client-data', 0, batchOf([`value-${index}`]))));
    assert.equal(outcomes.map((outcome) => outcome.errorCode), outcomes.map(() => KafkaError.NONE));
    assert.equal(new Set(outcomes.map((outcome) => outcome.baseOffset)).size, 100);
    assert.equal(await client.offsets('client-data', 0), { logStartOffset: 0n, highWatermark: 102n });
    const fetched = await client.fetch('client-data', 0, 0n, 1024 * 1024, 0);
    assert.is(fetched.errorCode, KafkaError.NONE);
    assert.is(fetched.highWatermark, 102n);
    const firstBatch = decodeRecords(fetched.records).slice(0, 2);
    assert.equal(firstBatch.map((record) => String(record.value)), ['a', 'b']);
    const beyond = await client.fetch('client-data', 0, 500n, 1024, 0);
    assert.is(beyond.errorCode, KafkaError.OFFSET_OUT_OF_RANGE);
    const unknown = await client.produce('client-data', 7, batchOf(['x'])).then(() => 'produced', (error: Error) => error.message);
    assert.match(unknown, /no leader known for client-data\/7/, 'a partition the topic lacks has no leader to send to');
  } finally {
    await client.close();
  }
});

test('a long poll waits for data past the request timeout of its own', async () => {
  const client = new KafkaClient({ bootstrap: [`127.0.0.1:${daemon.ports.kafka}`], clientId: 'client-test', connectTimeoutMs: 5_000, requestTimeoutMs: 500 });
  const writer = clientOf(daemon.ports.kafka!);
  try {
    await writer.ensureTopic('client-poll', 1, 1);
    const poll = client.fetch('client-poll', 0, 0n, 1024, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await writer.produce('client-poll', 0, batchOf(['late']));
    const fetched = await poll;
    assert.is(fetched.errorCode, KafkaError.NONE);
    assert.equal(decodeRecords(fetched.records).map((record) => String(record.value)), ['late']);
  } finally {
    await client.close();
    await writer.close();
  }
});

test('gets producer ids, commits group offsets and reads them back', async () => {
  const client = clientOf(daemon.ports.kafka!);
  try {
    const first = await client.initProducerId();
    const second = await client.initProducerId();
    assert.ok(first.producerId >= 0n && second.producerId !== first.producerId, `${first.producerId} then ${second.producerId}`);
    await client.ensureTopic('client-group', 2, 1);
    assert.is(await client.committedOffset('client-group-a', 'client-group', 0), undefined);
    await client.commitOffsets('client-group-a', [{ topic: 'client-group', partition: 0, offset: 5n }, { topic: 'client-group', partition: 1, offset: 9n }]);
    assert.is(await client.committedOffset('client-group-a', 'client-group', 1), 9n);
    assert.equal(await client.groupOffsets('client-group-a'), new Map([['client-group/0', 5n], ['client-group/1', 9n]]));
  } finally {
    await client.close();
  }
});

test('after resetting every connection the next request connects again', async () => {
  const client = clientOf(daemon.ports.kafka!);
  try {
    await client.ensureTopic('client-reset', 1, 1);
    await client.produce('client-reset', 0, batchOf(['before']));
    client.resetConnections();
    const after = await client.produce('client-reset', 0, batchOf(['after']));
    assert.equal([after.errorCode, after.baseOffset], [KafkaError.NONE, 1n]);
  } finally {
    await client.close();
  }
});

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`authenticates with SASL ${mechanism} over TLS, and a wrong password is refused with what the broker said`, async () => {
    const client = clientOf(daemon.ports.kafkaTls!, { tls: true, sasl: { mechanism, username: 'mirror', password: PASSWORD } });
    const wrong = clientOf(daemon.ports.kafkaTls!, { tls: true, sasl: { mechanism, username: 'mirror', password: 'not-it' } });
    try {
      const topic = `client-sasl-${mechanism.toLowerCase()}`;
      await client.ensureTopic(topic, 1, 1);
      const outcome = await client.produce(topic, 0, batchOf(['secret']));
      assert.is(outcome.errorCode, KafkaError.NONE);
      const refused = await wrong.listTopics().then(() => undefined, (error: unknown) => error);
      assert.ok(refused !== undefined, 'a wrong password is refused');
      assert.is(authenticationFailure(refused), 'Authentication failed: invalid username or password');
    } finally {
      await client.close();
      await wrong.close();
    }
  });
}

test.run();
