// The interop scenarios, the same for every client program (Go and Python, newest and
// old): every codec it supports with keys and headers, a consumer group with a member
// killed, committed offsets across a clean restart and a SIGKILL of the broker, an
// idempotent producer behind the fault-injecting link while its connections are cut, and
// TLS and SASL PLAIN. Each outcome is recorded with the client's name and exact version
// for the README's compatibility matrix (test/helpers/client-results.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../../helpers/certificates.ts';
import { ClientResults, type ClientScenario } from '../../../helpers/client-results.ts';
import { assertInOrderPerKey, KeyedSequence } from '../../../edge/kafka/clients/support/keyed-records.ts';
import { readPartition } from '../../../edge/kafka/clients/support/log-reader.ts';
import { checkRebalanceAfterKill, waitForEvenSplit } from '../../../edge/kafka/clients/support/rebalance.ts';
import { assertNoServerErrors } from '../../../edge/kafka/clients/support/server-log.ts';
import type { ClientFeatures, ClientProgram, Connection } from './client-program.ts';
import { ALL_CODECS, checkCodecRoundTrips } from './codec-round-trips.ts';
import { startEdgeBehindLink, waitForUnacknowledgedAppend } from './edge-behind-link.ts';

/** Kafka's smallest allowed session timeout here; a killed member is noticed this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6000;
/** How long a test waits for a condition it expects; generous for a loaded machine. */
const WAIT_MS = 30_000;
/** Records the idempotent producer sends, in batches of IDEMPOTENT_BATCH_MESSAGES: many requests, several in flight. */
const IDEMPOTENT_RECORDS = 600;
const IDEMPOTENT_BATCH_MESSAGES = 20;
/** The link is cut once the producer has heard back about this many records, three times in one stream. */
const CUT_AFTER_ACKNOWLEDGED = [100, 250, 400];
/** How long each cut refuses new connections: the producer must reconnect and retry. */
const CUT_MS = 300;
const SASL_USER = 'interop-user';
const SASL_PASSWORD = 'interop-secret';

const plain = (port: number): Connection => ({ bootstrap: `127.0.0.1:${port}` });

/**
 * Registers every scenario for the program made by `makeProgram`; call before
 * `test.run()`. A program that cannot start (not built, not installed) fails one test with
 * the reason and the command that fixes it.
 */
export async function defineClientScenarios(makeProgram: () => ClientProgram, topicPrefix: string, testFile: string): Promise<void> {
  let program: ClientProgram;
  let features: ClientFeatures;
  try {
    program = makeProgram();
    features = await program.features();
  } catch (error) {
    test(`the client program for ${topicPrefix} runs`, () => { throw error; });
    return;
  }
  const results = new ClientResults({ client: features.client, version: features.version, details: features.details, distribution: program.distribution }, testFile);
  const title = `${program.name} ${features.version}${features.details ? ` (${features.details})` : ''}`;

  /** A scenario the client as installed cannot run: recorded, and said on every run so it is never a silent gap. */
  function unsupported(scenario: ClientScenario, feature: keyof ClientFeatures, why: string): void {
    results.record(scenario, 'unsupported', why);
    test(`${title}: ${why}, so the ${scenario} scenario cannot run`, () => {
      console.log(`  ${title}: ${why}; the ${scenario} scenario is covered by the other clients`);
      assert.is(features[feature], false, `the client reports no ${feature}`);
    });
  }

  test(`${title} produces keyed records with headers under every codec it supports; a group reads each key back in order`, async () => {
    for (const codec of ALL_CODECS.filter((candidate) => !features.codecs.includes(candidate))) {
      // Said on every run, so that a codec left untested is never a silent gap.
      console.log(`  ${title}: this installation cannot use ${codec}`);
      results.record(`codec-${codec}`, 'unsupported', `this installation cannot use ${codec}`);
    }
    await checkCodecRoundTrips(results, topicPrefix, ALL_CODECS.filter((codec) => features.codecs.includes(codec)), {
      produce: (port, topic, records, codec) => program.produce(plain(port), topic, records, ['--compression', codec]),
      drain: (port, groupId, topic) => program.drain(plain(port), groupId, topic),
    });
  });

  test(`three ${title} members share six partitions; a member killed with SIGKILL has its partitions taken over`, () => results.run('group-member-killed', async () => {
    const topic = `${topicPrefix}-shared`;
    const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 6 } } } } });
    const port = daemon.ports.kafka!;
    const members = [0, 1, 2].map((index) => program.member(`${program.name} member ${index}`, plain(port), `${topic}-group`, topic, SESSION_TIMEOUT_MS));
    try {
      await waitForEvenSplit(members, 2, WAIT_MS);
      const produceRound = async (label: string) => {
        const records = [0, 1, 2, 3, 4, 5].flatMap((partition) => [0, 1, 2].map((index) => ({ partition, key: `p${partition}`, value: `${label}-p${partition}-${index}` })));
        await program.produce(plain(port), topic, records);
        return records.map((record) => record.value);
      };
      await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
      assertNoServerErrors(daemon);
    } finally {
      await Promise.all(members.map((member) => member.kill()));
      await daemon.cleanup();
    }
  }));

  test(`a ${title} group resumes after its committed offsets across a clean restart and a SIGKILL of the broker`, () => results.run('offsets-across-restart', async () => {
    const topic = `${topicPrefix}-resume`;
    const groupId = `${topic}-group`;
    let daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 2 } } } } });
    const cleanups = [daemon];
    try {
      const sequence = new KeyedSequence();
      const produceRounds = async (rounds: number) => {
        const records = Array.from({ length: rounds }).flatMap(() => sequence.round('resume'));
        await program.produce(plain(daemon.ports.kafka!), topic, records);
        return records;
      };
      const first = await produceRounds(5);
      assertInOrderPerKey(await program.drain(plain(daemon.ports.kafka!), groupId, topic), first);
      const beforeRestart = await produceRounds(2);

      assert.equal(await daemon.stop(), { code: 0, signal: null }, 'clean stop');
      daemon = await daemon.restart();
      cleanups.push(daemon);
      const afterRestart = [...beforeRestart, ...await produceRounds(1)];
      assertInOrderPerKey(await program.drain(plain(daemon.ports.kafka!), groupId, topic), afterRestart);

      await daemon.kill();
      daemon = await daemon.restart();
      cleanups.push(daemon);
      const afterCrash = await produceRounds(1);
      assertInOrderPerKey(await program.drain(plain(daemon.ports.kafka!), groupId, topic), afterCrash);
      for (const instance of cleanups) assertNoServerErrors(instance);
    } finally {
      for (const instance of cleanups) await instance.cleanup();
    }
  }));

  if (!features.idempotent) {
    unsupported('idempotent-link-cuts', 'idempotent', 'this version has no idempotent producer');
  } else {
    test(`${title} with an idempotent producer behind the fault-injecting link: three cuts mid-stream leave no duplicate and no gap`, () => results.run('idempotent-link-cuts', async () => {
      const topic = `${topicPrefix}-idempotent`;
      const edge = await startEdgeBehindLink({ topics: { overrides: { [topic]: { partitions: 1 } } } });
      const values = Array.from({ length: IDEMPOTENT_RECORDS }, (_unused, index) => `r${index}`);
      const producer = program.startProducer({ bootstrap: edge.bootstrap }, topic, values.map((value) => ({ key: 'sensor', value, partition: 0 })), ['--idempotent', '--batch-messages', String(IDEMPOTENT_BATCH_MESSAGES), '--compression', 'zstd']);
      try {
        for (const threshold of CUT_AFTER_ACKNOWLEDGED) {
          await producer.waitForAcknowledged(threshold, WAIT_MS);
          // Cut while the broker holds records the producer has not heard about: their
          // answers are inside the link's delay, and the producer must send them again.
          await waitForUnacknowledgedAppend(edge.daemon.ports.kafka!, topic, () => producer.acknowledged, WAIT_MS);
          edge.link.cut(CUT_MS);
        }
        await producer.succeeded();
        assert.is(edge.link.stats().cuts, CUT_AFTER_ACKNOWLEDGED.length, 'the link was cut mid-stream each time');

        const stored = await readPartition(edge.daemon.ports.kafka!, topic, 0);
        assert.equal(stored.records.map((record) => record.value!.toString()), values, 'every record once, in order');
        assert.equal(stored.records.map((record) => record.offset), values.map((_value, index) => BigInt(index)), 'dense offsets');
        // Sequences run on from 0 for each producer id and epoch (a client may bump its epoch, KIP-360).
        const nextSequence = new Map<string, number>();
        for (const batch of stored.batches) {
          const producerKey = `${batch.header.producerId}/${batch.header.producerEpoch}`;
          assert.is(batch.header.baseSequence, nextSequence.get(producerKey) ?? 0, `batch at offset ${batch.header.baseOffset} continues the sequence of producer ${producerKey}`);
          nextSequence.set(producerKey, batch.header.baseSequence + batch.header.recordCount);
        }
        const duplicates = metricValue(await edge.daemon.metrics(), 'tributary_storage_duplicate_batches_total', { topic }) ?? 0;
        assert.ok(duplicates >= 1, `a batch the broker had appended was sent again and answered as a duplicate (${duplicates} such batches)`);
        assertNoServerErrors(edge.daemon);
      } finally {
        await producer.kill();
        await edge.close();
      }
    }));
  }

  const tlsListener = { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } };

  if (!features.tls) {
    unsupported('tls', 'tls', 'this client has no TLS');
  } else {
    test(`${title} over TLS produces and reads back in a group on listeners.kafkaTls`, () => results.run('tls', async () => {
      const topic = `${topicPrefix}-tls`;
      const daemon = await Daemon.start({ config: { listeners: tlsListener, topics: { overrides: { [topic]: { partitions: 2 } } } } });
      try {
        const connection = { bootstrap: `127.0.0.1:${daemon.ports.kafkaTls!}`, tlsCaFile: BROKER_CERTIFICATE };
        const sequence = new KeyedSequence();
        await program.produce(connection, topic, [...sequence.round('tls'), ...sequence.round('tls')]);
        assertInOrderPerKey(await program.drain(connection, `${topic}-group`, topic), sequence.sent);
        assertNoServerErrors(daemon);
      } finally {
        await daemon.cleanup();
      }
    }));
  }

  if (!features.saslPlain) {
    unsupported('sasl-plain', 'saslPlain', 'this client has no SASL PLAIN');
  } else {
    test(`${title} with SASL PLAIN over TLS gets in with the right password and is refused with a wrong one`, () => results.run('sasl-plain', async () => {
      const topic = `${topicPrefix}-sasl`;
      const passwordHash = await hashPassword(SASL_PASSWORD);
      const daemon = await Daemon.start({
        config: {
          listeners: tlsListener,
          kafka: { sasl: { listeners: ['tls'], users: [{ username: SASL_USER, passwordHash }] } },
          topics: { overrides: { [topic]: { partitions: 2 } } },
        },
      });
      try {
        const connection = (password: string) => ({ bootstrap: `127.0.0.1:${daemon.ports.kafkaTls!}`, tlsCaFile: BROKER_CERTIFICATE, sasl: { username: SASL_USER, password } });
        const sequence = new KeyedSequence();
        await program.produce(connection(SASL_PASSWORD), topic, sequence.round('sasl'));
        assertInOrderPerKey(await program.drain(connection(SASL_PASSWORD), `${topic}-group`, topic), sequence.sent);
        const refused = await program.tryProduce(connection('wrong'), topic, [{ value: 'never stored' }]);
        assert.is.not(refused.code, 0, `a wrong password is refused\n${refused.stdout}\n${refused.stderr}`);
        assert.match(`${refused.stderr}\n${refused.stdout}`, /authenticat|sasl/i, 'the client says why');
        for (const partition of [0, 1]) {
          const stored = (await readPartition(daemon.ports.kafka!, topic, partition)).records.map((record) => record.value!.toString());
          assert.ok(!stored.includes('never stored'), `nothing stored without authentication (partition ${partition})`);
        }
      } finally {
        await daemon.cleanup();
      }
    }));
  }
}
