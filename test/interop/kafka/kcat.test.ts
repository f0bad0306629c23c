// kcat (librdkafka 2.0.2, Debian) against the real daemon: every codec with keys and
// headers, balanced consumer groups with a member killed, committed offsets across a broker
// restart and a SIGKILL, an idempotent producer whose connection is cut mid-stream by the
// Kafka-aware proxy (after the broker has a batch, before its answer), TLS and SASL PLAIN.
// Each outcome is recorded for the compatibility matrix.
import { checkRebalanceAfterKill, waitForEvenSplit } from '../../edge/kafka/clients/support/rebalance.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../helpers/certificates.ts';
import { KafkaProxy } from '../../edge/kafka/clients/support/kafka-proxy.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from '../../edge/kafka/clients/support/keyed-records.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';
import { MemberProcess, waitForMembers } from '../../edge/kafka/clients/support/member-process.ts';
import { kcat, kcatMemberAdapter, kcatRecord, run, runOk } from './support/processes.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';
import { ClientResults } from '../../helpers/client-results.ts';
import { ALL_CODECS, checkCodecRoundTrips } from './support/codec-round-trips.ts';

/** Kafka's smallest allowed session timeout here; a killed member is noticed this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6000;
const WAIT_MS = 30_000;

const broker = (port: number) => `127.0.0.1:${port}`;

/** `kcat -V`: "Version 1.7.1 (JSON, ..., librdkafka 2.0.2 builtin.features=...)". */
async function kcatVersion(): Promise<{ version: string; details: string }> {
  const text = (await runOk(kcat(), ['-V'])).stdout;
  const match = /Version (\S+) .*librdkafka (\S+)/.exec(text);
  if (!match) throw new Error(`kcat -V printed no version and librdkafka version:\n${text}`);
  return { version: match[1]!, details: `librdkafka ${match[2]!}` };
}

const results = new ClientResults({ client: 'kcat', ...await kcatVersion(), distribution: 'Debian 12' }, import.meta.filename);

/** Produces one round of keyed records with one kcat run; kcat gives every record of a run the same headers. */
async function kcatProduce(port: number, topic: string, records: KeyedRecord[], extra: string[] = []): Promise<void> {
  const headers = Object.entries(records[0]!.headers).flatMap(([key, value]) => ['-H', `${key}=${value}`]);
  const input = records.map((record) => `${record.key}:${record.value}\n`).join('');
  await runOk(kcat(), ['-b', broker(port), '-P', '-t', topic, '-K:', ...headers, ...extra], input);
}

/** Reads the topic in a balanced consumer group until the end of every partition; kcat commits on exit. */
async function kcatConsumeGroup(port: number, groupId: string, topic: string): Promise<(KeyedRecord & { partition: number; offset: bigint })[]> {
  const result = await runOk(kcat(), ['-b', broker(port), '-G', groupId, '-X', 'auto.offset.reset=earliest', '-e', '-J', topic]);
  return result.stdout.split('\n').map(kcatRecord).filter((line) => line !== undefined).map((line) => ({
    partition: line.partition!, offset: BigInt(line.offset!), key: line.key!, value: line.value!, headers: line.headers!,
  }));
}

test('kcat produces keyed records with headers under every codec; a kcat group reads each key back in order', () => checkCodecRoundTrips(results, 'kcat', ALL_CODECS, {
  produce: (port, topic, records, codec) => kcatProduce(port, topic, records, ['-z', codec]),
  drain: kcatConsumeGroup,
}));

test('kcat over TLS (security.protocol=ssl) produces and consumes on listeners.kafkaTls', () => results.run('tls', async () => {
  const topic = 'kcat-tls';
  const daemon = await Daemon.start({ config: { listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } } } });
  try {
    const tls = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${BROKER_CERTIFICATE}`];
    const records = [0, 1, 2].map((index) => ({ key: `k${index}`, value: `over-tls-${index}`, headers: {} }));
    await kcatProduce(daemon.ports.kafkaTls!, topic, records, tls);
    const consumed = await runOk(kcat(), ['-b', broker(daemon.ports.kafkaTls!), ...tls, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
    assert.equal(consumed.stdout.trim().split('\n'), ['k0=over-tls-0', 'k1=over-tls-1', 'k2=over-tls-2']);
    assertNoServerErrors(daemon);
  } finally {
    await daemon.cleanup();
  }
}));

test('kcat with SASL PLAIN over TLS (security.protocol=sasl_ssl) gets in with the right password and not with a wrong one', () => results.run('sasl-plain', async () => {
  const topic = 'kcat-sasl';
  const passwordHash = await hashPassword('kcat-secret');
  const daemon = await Daemon.start({
    config: {
      listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
      kafka: { sasl: { listeners: ['tls'], users: [{ username: 'kcat-user', passwordHash }] } },
    },
  });
  try {
    const sasl = (password: string) => ['-X', 'security.protocol=sasl_ssl', '-X', `ssl.ca.location=${BROKER_CERTIFICATE}`, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=kcat-user', '-X', `sasl.password=${password}`];
    await kcatProduce(daemon.ports.kafkaTls!, topic, [{ key: 'k', value: 'authenticated', headers: {} }], sasl('kcat-secret'));
    const consumed = await runOk(kcat(), ['-b', broker(daemon.ports.kafkaTls!), ...sasl('kcat-secret'), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
    assert.equal(consumed.stdout.trim(), 'authenticated');
    const refused = await run(kcat(), ['-b', broker(daemon.ports.kafkaTls!), ...sasl('wrong'), '-L', '-m', '5']);
    assert.is.not(refused.code, 0, 'a wrong password gets no metadata');
    assert.match(refused.stderr, /authentication|SASL/i);
  } finally {
    await daemon.cleanup();
  }
}));

test('three kcat members share six partitions; a member killed with SIGKILL has its partitions taken over', () => results.run('group-member-killed', async () => {
  const topic = 'kcat-shared';
  const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 6 } } } } });
  const port = daemon.ports.kafka!;
  // -u: records are written as they arrive, not when a pipe's buffer fills.
  const args = ['-b', broker(port), '-G', 'kcat-shared-group', '-J', '-u', '-X', `session.timeout.ms=${SESSION_TIMEOUT_MS}`, '-X', 'heartbeat.interval.ms=500', '-X', 'auto.offset.reset=earliest', '-X', 'fetch.wait.max.ms=100', topic];
  const members = [0, 1, 2].map((index) => new MemberProcess(`kcat member ${index}`, kcat(), args, { adapter: kcatMemberAdapter }));
  try {
    await waitForEvenSplit(members, 2, WAIT_MS);

    const produceRound = async (label: string) => {
      const values: string[] = [];
      for (let partition = 0; partition < 6; partition++) {
        const lines = [0, 1, 2].map((index) => `${label}-p${partition}-${index}`);
        await runOk(kcat(), ['-b', broker(port), '-P', '-t', topic, '-p', String(partition)], `${lines.join('\n')}\n`);
        values.push(...lines);
      }
      return values;
    };
    await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
    assertNoServerErrors(daemon);
  } finally {
    await Promise.all(members.map((member) => member.kill()));
    await daemon.cleanup();
  }
}));

test('a kcat group resumes after its committed offsets across a clean restart and a SIGKILL of the broker', () => results.run('offsets-across-restart', async () => {
  const topic = 'kcat-resume';
  const groupId = 'kcat-resume-group';
  let daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 2 } } } } });
  const cleanups = [daemon];
  try {
    const sequence = new KeyedSequence();
    const produce = async (rounds: number) => {
      const sent: KeyedRecord[] = [];
      for (let round = 0; round < rounds; round++) {
        const records = sequence.round('resume');
        await kcatProduce(daemon.ports.kafka!, topic, records);
        sent.push(...records);
      }
      return sent;
    };
    const first = await produce(5);
    assertInOrderPerKey(await kcatConsumeGroup(daemon.ports.kafka!, groupId, topic), first);
    const beforeRestart = await produce(2);

    assert.equal(await daemon.stop(), { code: 0, signal: null }, 'clean stop');
    daemon = await daemon.restart();
    cleanups.push(daemon);
    const afterRestart = [...beforeRestart, ...await produce(1)];
    assertInOrderPerKey(await kcatConsumeGroup(daemon.ports.kafka!, groupId, topic), afterRestart);

    await daemon.kill();
    daemon = await daemon.restart();
    cleanups.push(daemon);
    const afterCrash = await produce(1);
    assertInOrderPerKey(await kcatConsumeGroup(daemon.ports.kafka!, groupId, topic), afterCrash);
    for (const instance of cleanups) assertNoServerErrors(instance);
  } finally {
    for (const instance of cleanups) await instance.cleanup();
  }
}));

test('kcat with enable.idempotence: connections cut after pipelined appends leave no duplicate', () => results.run('idempotent-link-cuts', async () => {
  const topic = 'kcat-idempotent';
  const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 1 } } } } });
  const proxy = await KafkaProxy.start(daemon.ports.kafka!);
  try {
    const values = Array.from({ length: 600 }, (_unused, index) => `r${index}`);
    // Small batches so that the stream takes many Produce requests, several in flight at once.
    proxy.cutAfterProduces([2, 9, 17]);
    // -E: kcat would otherwise give up when its only broker connection drops; the producer must retry.
    await runOk(kcat(), [
      '-b', broker(proxy.port), '-P', '-E', '-t', topic, '-p', '0', '-K:',
      '-X', 'enable.idempotence=true', '-X', 'batch.num.messages=20', '-X', 'linger.ms=0', '-X', 'retry.backoff.ms=50', '-z', 'lz4',
    ], values.map((value) => `sensor:${value}\n`).join(''));
    assert.is(proxy.cuts, 3, 'each armed cut happened after the broker had the batch');

    const stored = await readPartition(daemon.ports.kafka!, topic, 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), values, 'every record once, in order');
    assert.equal(stored.records.map((record) => record.offset), values.map((_value, index) => BigInt(index)), 'dense offsets');
    const producerIds = new Set(stored.batches.map((batch) => batch.header.producerId));
    assert.is(producerIds.size, 1, 'one producer id');
    let nextSequence = 0;
    for (const batch of stored.batches) {
      assert.is(batch.header.baseSequence, nextSequence, `batch at offset ${batch.header.baseOffset} continues the sequence`);
      nextSequence += batch.header.recordCount;
    }
    assertNoServerErrors(daemon);
  } finally {
    await proxy.close();
    await daemon.cleanup();
  }
}));

test.run();
