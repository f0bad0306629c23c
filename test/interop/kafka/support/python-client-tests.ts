// The interop scenarios for a Python client script (confluent_kafka_client.py or
// kafka_python_client.py; both take the same subcommands): every codec the installation
// supports with keys and headers, a consumer group with a member killed, committed offsets
// across a clean restart and a SIGKILL, and, where the client has one, an idempotent
// producer whose connection is cut mid-stream.
import { checkRebalanceAfterKill, waitForEvenSplit } from '../../../edge/kafka/clients/support/rebalance.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { Daemon } from '../../../helpers/daemon.ts';
import { KafkaProxy } from '../../../edge/kafka/clients/support/kafka-proxy.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from '../../../edge/kafka/clients/support/keyed-records.ts';
import { readPartition } from '../../../edge/kafka/clients/support/log-reader.ts';
import { MemberProcess, waitForMembers, type MemberLine } from '../../../edge/kafka/clients/support/member-process.ts';
import { runOk } from './processes.ts';
import { requirePythonModule, type PythonModule } from '../../../helpers/system-programs.ts';
import { assertNoServerErrors } from '../../../edge/kafka/clients/support/server-log.ts';

/** Kafka's smallest allowed session timeout here; a killed member is noticed this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6000;
const WAIT_MS = 30_000;
const ALL_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface PythonClient {
  /** As named in test titles. */
  name: string;
  /** The Python module it is, for Debian's Python. */
  module: PythonModule;
  /** File name of the script beside the interop tests. */
  script: string;
  /** Starts the names of the topics and groups the tests use. */
  topicPrefix: string;
}

/** What the installed client can do, as its script's `features` subcommand reports it. */
interface ClientFeatures { codecs: string[]; idempotent: boolean }

interface ProducedRecord { key?: string; value: string; headers?: Record<string, string>; partition?: number }

/** Registers the scenarios the installed client supports; call before `test.run()`. */
export async function definePythonClientTests(client: PythonClient): Promise<void> {
  const script = resolve(import.meta.dirname, '..', client.script);
  const python = requirePythonModule(client.module);
  const features = JSON.parse((await runOk(python, [script, 'features'])).stdout) as ClientFeatures;
  const bootstrap = (port: number) => `127.0.0.1:${port}`;

  async function produce(port: number, topic: string, records: ProducedRecord[], extra: string[] = []): Promise<void> {
    await runOk(python, [script, 'produce', '--bootstrap', bootstrap(port), '--topic', topic, ...extra], records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  }

  async function drain(port: number, groupId: string, topic: string): Promise<(KeyedRecord & { partition: number; offset: bigint })[]> {
    const result = await runOk(python, [script, 'drain', '--bootstrap', bootstrap(port), '--group', groupId, '--topic', topic]);
    return result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as MemberLine).map((line) => ({
      partition: line.partition!, offset: BigInt(line.offset!), key: line.key!, value: line.value!, headers: line.headers!,
    }));
  }

  test(`${client.name} produces keyed records with headers under every codec it supports; a group reads each key back in order`, async () => {
    const codecs = features.codecs;
    assert.ok(codecs.includes('none') && codecs.includes('gzip'), `${client.name} supports at least gzip`);
    const missing = ALL_CODECS.filter((codec) => !codecs.includes(codec));
    // Said on every run, so that a codec left untested is never a silent gap.
    if (missing.length > 0) console.log(`  ${client.name}: this installation cannot use ${missing.join(', ')}; testing ${codecs.join(', ')}`);

    const topic = `${client.topicPrefix}-codecs`;
    const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 3 } } } } });
    try {
      const port = daemon.ports.kafka!;
      const sequence = new KeyedSequence();
      for (const codec of codecs) {
        const records = [0, 1, 2].flatMap(() => sequence.round(codec));
        await produce(port, topic, records, ['--compression', codec]);
      }
      assertInOrderPerKey(await drain(port, `${topic}-group`, topic), sequence.sent);
      const codecsStored = new Set<number>();
      for (let partition = 0; partition < 3; partition++) {
        for (const batch of (await readPartition(port, topic, partition)).batches) codecsStored.add(batch.header.compression);
      }
      assert.equal([...codecsStored].sort(), codecs.map((codec) => ALL_CODECS.indexOf(codec)).sort(), 'batches stored with each codec used');
      assertNoServerErrors(daemon);
    } finally {
      await daemon.cleanup();
    }
  });

  test(`three ${client.name} members share six partitions; a member killed with SIGKILL has its partitions taken over`, async () => {
    const topic = `${client.topicPrefix}-shared`;
    const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 6 } } } } });
    const port = daemon.ports.kafka!;
    const args = [script, 'member', '--bootstrap', bootstrap(port), '--group', `${topic}-group`, '--topic', topic, '--session-timeout-ms', String(SESSION_TIMEOUT_MS)];
    const members = [0, 1, 2].map((index) => new MemberProcess(`${client.name} member ${index}`, python, args));
    try {
      await waitForEvenSplit(members, 2, WAIT_MS);

      const produceRound = async (label: string) => {
        const records = [0, 1, 2, 3, 4, 5].flatMap((partition) => [0, 1, 2].map((index) => ({ partition, key: `p${partition}`, value: `${label}-p${partition}-${index}` })));
        await produce(port, topic, records);
        return records.map((record) => record.value);
      };
      await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
      assertNoServerErrors(daemon);
    } finally {
      await Promise.all(members.map((member) => member.kill()));
      await daemon.cleanup();
    }
  });

  test(`a ${client.name} group resumes after its committed offsets across a clean restart and a SIGKILL of the broker`, async () => {
    const topic = `${client.topicPrefix}-resume`;
    const groupId = `${topic}-group`;
    let daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 2 } } } } });
    const cleanups = [daemon];
    try {
      const sequence = new KeyedSequence();
      const produceRounds = async (rounds: number) => {
        const records = Array.from({ length: rounds }).flatMap(() => sequence.round('resume'));
        await produce(daemon.ports.kafka!, topic, records);
        return records;
      };
      const first = await produceRounds(5);
      assertInOrderPerKey(await drain(daemon.ports.kafka!, groupId, topic), first);
      const beforeRestart = await produceRounds(2);

      assert.equal(await daemon.stop(), { code: 0, signal: null }, 'clean stop');
      daemon = await daemon.restart();
      cleanups.push(daemon);
      const afterRestart = [...beforeRestart, ...await produceRounds(1)];
      assertInOrderPerKey(await drain(daemon.ports.kafka!, groupId, topic), afterRestart);

      await daemon.kill();
      daemon = await daemon.restart();
      cleanups.push(daemon);
      const afterCrash = await produceRounds(1);
      assertInOrderPerKey(await drain(daemon.ports.kafka!, groupId, topic), afterCrash);
      for (const instance of cleanups) assertNoServerErrors(instance);
    } finally {
      for (const instance of cleanups) await instance.cleanup();
    }
  });

  if (!features.idempotent) {
    // Said on every run, so that the missing scenario is never a silent gap.
    test(`${client.name} as installed has no idempotent producer, so its retry scenario cannot run`, () => {
      console.log(`  ${client.name}: no idempotent producer in this version; the idempotent retry scenario is covered by the other clients`);
      assert.is(features.idempotent, false);
    });
  } else {
    test(`${client.name} with enable.idempotence: connections cut after pipelined appends leave no duplicate`, async () => {
      const topic = `${client.topicPrefix}-idempotent`;
      const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 1 } } } } });
      const proxy = await KafkaProxy.start(daemon.ports.kafka!);
      try {
        const values = Array.from({ length: 600 }, (_unused, index) => `r${index}`);
        proxy.cutAfterProduces([2, 9, 17]);
        await produce(proxy.port, topic, values.map((value) => ({ key: 'sensor', value, partition: 0 })), ['--idempotent', '--batch-messages', '20', '--compression', 'zstd']);
        assert.is(proxy.cuts, 3, 'each armed cut happened after the broker had the batch');

        const stored = await readPartition(daemon.ports.kafka!, topic, 0);
        assert.equal(stored.records.map((record) => record.value!.toString()), values, 'every record once, in order');
        assert.equal(stored.records.map((record) => record.offset), values.map((_value, index) => BigInt(index)), 'dense offsets');
        assert.is(new Set(stored.batches.map((batch) => batch.header.producerId)).size, 1, 'one producer id');
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
    });
  }
}
