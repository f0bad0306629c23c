// The codec scenario shared by every client test: for each codec a client supports, keyed
// records with headers go to a topic of their own, a group reads each key back in order,
// and the broker is checked to have stored the batches with that codec. Each codec's
// outcome is recorded on its own, so the matrix shows which codec failed.
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import type { ClientResults, ClientScenario } from '../../../helpers/client-results.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from '../../../edge/kafka/clients/support/keyed-records.ts';
import { readPartition } from '../../../edge/kafka/clients/support/log-reader.ts';
import { assertNoServerErrors } from '../../../edge/kafka/clients/support/server-log.ts';

export const ALL_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof ALL_CODECS)[number];
const PARTITIONS = 3;
/**
 * Appended to each value: librdkafka and kafka-python send a batch uncompressed when
 * compressing it saves nothing, so the records must compress, as repetitive sensor
 * readings do. assertInOrderPerKey reads only the value's first fields.
 */
const COMPRESSIBLE_TAIL = `|${'temperature=21.5;humidity=40;'.repeat(8)}`;
const ROUNDS = 3;

export interface CodecClient {
  /** Produces one round of records with `codec`. */
  produce(port: number, topic: string, records: KeyedRecord[], codec: Codec): Promise<void>;
  /** Reads the topic in group `groupId` to its end. */
  drain(port: number, groupId: string, topic: string): Promise<KeyedRecord[]>;
}

/** Runs the round trip for each codec on one daemon; fails at the end if any codec failed. */
export async function checkCodecRoundTrips(results: ClientResults, topicPrefix: string, codecs: readonly Codec[], client: CodecClient): Promise<void> {
  const topicOf = (codec: string) => `${topicPrefix}-codec-${codec}`;
  const daemon = await Daemon.start({ config: { topics: { overrides: Object.fromEntries(codecs.map((codec) => [topicOf(codec), { partitions: PARTITIONS }])) } } });
  const failures: string[] = [];
  try {
    const port = daemon.ports.kafka!;
    for (const codec of codecs) {
      try {
        await results.run(`codec-${codec}` as ClientScenario, async () => {
          const sequence = new KeyedSequence();
          const sent: KeyedRecord[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            const records = sequence.round(codec).map((record) => ({ ...record, value: `${record.value}${COMPRESSIBLE_TAIL}` }));
            await client.produce(port, topicOf(codec), records, codec);
            sent.push(...records);
          }
          assertInOrderPerKey(await client.drain(port, `${topicOf(codec)}-group`, topicOf(codec)), sent);
          const stored = new Set<number>();
          for (let partition = 0; partition < PARTITIONS; partition++) {
            for (const batch of (await readPartition(port, topicOf(codec), partition)).batches) stored.add(batch.header.compression);
          }
          assert.equal([...stored], [ALL_CODECS.indexOf(codec)], `batches stored with ${codec}`);
          assertNoServerErrors(daemon);
        });
      } catch (error) {
        failures.push(`${codec}: ${(error as Error).message}`);
      }
    }
  } finally {
    await daemon.cleanup();
  }
  assert.equal(failures, [], 'every codec round trip held');
}
