// A process that appends to a log store until it is killed, for the crash tests.
//
//   node test/edge/storage/crash-child.ts <dataDir> <seed>
//
// It opens (and so recovers) the store, then runs several concurrent appenders on three
// partitions: plain batches and batches of an idempotent producer. Each durable append is
// reported on stdout as one line of JSON: partition, offsets, the producer's sequence,
// and the CRC-32C of the batch as stored (base offset and leader epoch included), so
// that the parent can check each reported batch byte for byte after the kill.
import { crc32c } from '@node-rs/crc32';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { openStore, seededRandom } from './helpers.ts';

const [dataDir, seedText] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: crash-child.ts <dataDir> <seed>');
const random = seededRandom(Number(seedText ?? 1));

const TOPIC = 'crash';
const PARTITIONS = 3;
const APPENDERS = 6;
/** The idempotent producer id the child uses on partition 0; its epoch is the round number so each run starts a new epoch at sequence 0. */
const PRODUCER_ID = 4242n;

const store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 1 }, topicDefaults: { segmentBytes: 16 * 1024 } });
if (store.describeTopic(TOPIC) === undefined) await store.createTopic(TOPIC, { partitions: PARTITIONS });
const recovered = store.recoveryReport;
process.stdout.write(`${JSON.stringify({ ready: true, truncations: recovered.truncations.length, rebuilt: recovered.rebuiltIndexes.length })}\n`);

const epoch = Number(process.env.CRASH_EPOCH ?? 0);
let sequence = 0;
let idempotentChain = Promise.resolve();

async function appender(id: number): Promise<never> {
  for (let n = 0; ; n++) {
    const partition = Math.floor(random() * PARTITIONS);
    const count = 1 + Math.floor(random() * 20);
    const valueBytes = 20 + Math.floor(random() * 400);
    const records = Array.from({ length: count }, (_, index) => ({ key: `k${id}`, value: Buffer.alloc(valueBytes, (id * 31 + n + index) & 0xff), timestampMs: BigInt(Date.now()) }));
    if (partition === 0 && id === 0) {
      // Idempotent appends are made one at a time so that their sequence numbers arrive in order.
      const firstSequence = sequence;
      sequence += count;
      const batch = encodeRecordBatch({ records, producerId: PRODUCER_ID, producerEpoch: epoch, baseSequence: firstSequence });
      const run = idempotentChain.then(async () => {
        const result = await store.partition(TOPIC, 0).append(batch);
        report(0, result.baseOffset, result.lastOffset, batch, firstSequence);
      });
      idempotentChain = run;
      await run;
    } else {
      const batch = encodeRecordBatch({ records });
      const result = await store.partition(TOPIC, partition).append(batch);
      report(partition, result.baseOffset, result.lastOffset, batch);
    }
  }
}

function report(partition: number, baseOffset: bigint, lastOffset: bigint, batch: Buffer, firstSequence?: number): void {
  const line = { partition, baseOffset: baseOffset.toString(), lastOffset: lastOffset.toString(), crc: crc32c(batch) >>> 0, size: batch.length, sequence: firstSequence, epoch: firstSequence === undefined ? undefined : epoch, batch: firstSequence === undefined ? undefined : batch.toString('base64') };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

await Promise.all(Array.from({ length: APPENDERS }, (_, id) => appender(id)));
