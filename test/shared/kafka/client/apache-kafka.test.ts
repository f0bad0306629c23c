// The mirror's Kafka client against Apache Kafka 4.4 (one KRaft node, test/helpers/apache-kafka.ts):
// every request the mirror makes, answered by the broker it meets in production, and SASL
// SCRAM-SHA-256 and PLAIN on a SASL_PLAINTEXT listener, with Kafka's own words when the
// password is wrong. (SCRAM-SHA-512 over TLS is in test/mirror/apache-kafka-central.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApacheKafka } from '../../../helpers/apache-kafka.ts';
import { KafkaClient, type SaslOptions } from '../../../../shared/kafka/client/kafka-client.ts';
import { authenticationFailure, KafkaError } from '../../../../shared/kafka/client/kafka-errors.ts';
import { decodeRecords, encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { waitFor } from '../../../mirror/cluster.ts';

const SASL_LISTENER = 'SASL';
const SCRAM_USER = { mechanism: 'SCRAM-SHA-256', username: 'scram-client', password: 'scram-256-secret' } as const;
const PLAIN_USER = { username: 'plain-client', password: 'plain-secret' };

const kafka = await ApacheKafka.start({
  scramUsers: [SCRAM_USER],
  extraListeners: {
    [SASL_LISTENER]: {
      securityProtocol: 'SASL_PLAINTEXT',
      scramMechanisms: ['SCRAM-SHA-256'],
      config: {
        'sasl.enabled.mechanisms': 'SCRAM-SHA-256,PLAIN',
        'plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${PLAIN_USER.username}="${PLAIN_USER.password}";`,
      },
    },
  },
});

test.after(async () => {
  await kafka.cleanup();
});

function clientOf(bootstrap: string, sasl?: SaslOptions): KafkaClient {
  return new KafkaClient({ bootstrap: bootstrap.split(','), clientId: 'client-test', connectTimeoutMs: 10_000, requestTimeoutMs: 30_000, ...(sasl === undefined ? {} : { sasl }) });
}

test('creates and grows topics, produces, reads offsets and batches back, gets producer ids and keeps group offsets', async () => {
  const client = clientOf(kafka.bootstrap);
  try {
    // A broker just started may refuse or drop the first connections while its listeners come up.
    await waitFor('the broker answers', async () => { await client.probe(); return true; });
    assert.is(await client.partitionCount('kafka-client-absent'), undefined);
    assert.is(await client.ensureTopic('kafka-client', 2, 1), 2);
    assert.is(await client.ensureTopic('kafka-client', 3, 1), 3);
    // Kafka answers CreatePartitions before every broker's metadata has the new partition (KRaft propagates it).
    await waitFor('the third partition in the metadata', async () => ((await client.listTopics()).get('kafka-client') === 3 ? true : undefined));
    const batch = encodeRecordBatch({ records: [{ value: Buffer.from('one') }, { value: Buffer.from('two') }] });
    const outcome = await waitFor('a produce to the new partition acknowledged', async () => {
      const answer = await client.produce('kafka-client', 2, batch);
      return answer.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER ? undefined : answer;
    });
    assert.equal([outcome.errorCode, outcome.baseOffset], [KafkaError.NONE, 0n]);
    assert.equal(await client.offsets('kafka-client', 2), { logStartOffset: 0n, highWatermark: 2n });
    const fetched = await client.fetch('kafka-client', 2, 0n, 1024 * 1024, 0);
    assert.equal(decodeRecords(fetched.records).map((record) => String(record.value)), ['one', 'two']);
    const { producerId } = await client.initProducerId();
    assert.ok(producerId >= 0n);
    // A fresh cluster creates __consumer_offsets at the first group request, and answers
    // NOT_COORDINATOR (retriable) while its coordinator loads: the mirror's loop retries, so does this.
    await waitFor('the offset committed', () => client.commitOffsets('kafka-client-group', [{ topic: 'kafka-client', partition: 2, offset: 2n }]).then(() => true));
    assert.is(await client.committedOffset('kafka-client-group', 'kafka-client', 2), 2n);
    assert.equal(await client.groupOffsets('kafka-client-group'), new Map([['kafka-client/2', 2n]]));
  } finally {
    await client.close();
  }
});

test('a topic the cluster cannot create is refused with Kafka\'s error name', async () => {
  const client = clientOf(kafka.bootstrap);
  try {
    const refused = await client.ensureTopic('kafka-client-rf', 1, 3).then(() => undefined, (error: Error) => error.message);
    assert.match(refused ?? '', /^INVALID_REPLICATION_FACTOR: /);
  } finally {
    await client.close();
  }
});

/** What Kafka 4.4 says to a wrong password, by mechanism (SaslServerAuthenticator). */
const REFUSALS = {
  'SCRAM-SHA-256': 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
  PLAIN: 'Authentication failed: Invalid username or password',
} as const;

for (const sasl of [{ ...SCRAM_USER }, { mechanism: 'PLAIN', ...PLAIN_USER }] as const) {
  test(`SASL ${sasl.mechanism}: with the password the client produces; with another Kafka's refusal is read`, async () => {
    const client = clientOf(kafka.bootstrapOf(SASL_LISTENER), sasl);
    const wrong = clientOf(kafka.bootstrapOf(SASL_LISTENER), { ...sasl, password: 'not-it' });
    try {
      const topic = `kafka-client-${sasl.mechanism.toLowerCase()}`;
      await client.ensureTopic(topic, 1, 1);
      // Right after creation the broker may not yet lead the partition (NOT_LEADER_OR_FOLLOWER, retriable): the mirror sends again, so does this.
      const batch = encodeRecordBatch({ records: [{ value: Buffer.from('x') }] });
      const outcome = await waitFor(`a produce to ${topic} acknowledged`, async () => {
        const answer = await client.produce(topic, 0, batch);
        return answer.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER ? undefined : answer;
      });
      assert.is(outcome.errorCode, KafkaError.NONE);
      const refused = await wrong.listTopics().then(() => undefined, (error: unknown) => error);
      assert.is(authenticationFailure(refused), REFUSALS[sasl.mechanism]);
    } finally {
      await client.close();
      await wrong.close();
    }
  });
}

test.run();
