// End-to-end latency at a paced rate: @platformatic/kafka (the mirror's client) produces with
// acks=all while a consumer in the same process reads, so that both ends use one clock; each
// value carries its send time. (Not kcat: records piped to it one by one were produced only
// when its input ended.)
import { Consumer, Producer, type Message } from '@platformatic/kafka';
import { percentile } from '../statistics.ts';

/** The paced producer hands over the records that are due about every millisecond. */
const PACED_TICK_MS = 1;
/**
 * Produce requests the paced producer may have in flight. The client's default of 5 caps it
 * at 5 requests per produce latency, which a durable (fdatasync) acknowledgement of a few
 * milliseconds turns into a queue; librdkafka pipelines without such a cap.
 */
const PACED_IN_FLIGHT_MAX = 64;
/** Between two rounds of warm-up records, sent until the consumer has read one from every partition. */
const WARM_UP_ROUND_MS = 100;

export interface PacedLatencyRun {
  bootstrap: string;
  topic: string;
  partitions: number;
  recordBytes: number;
  recordsPerSecond: number;
  seconds: number;
  /** Seconds paced first and not measured: the first seconds of a fresh connection and of code not yet optimised say little about the steady state. */
  warmUpSeconds: number;
}

export interface LatencyFigures { p50Ms: number; p99Ms: number; p999Ms: number; samples: number }

export async function pacedLatency(run: PacedLatencyRun): Promise<LatencyFigures> {
  const bootstrapBrokers = [run.bootstrap];
  const producer = new Producer({ clientId: 'bench-paced-producer', bootstrapBrokers, autocreateTopics: false, maxInflights: PACED_IN_FLIGHT_MAX });
  const consumer = new Consumer({ clientId: 'bench-paced-consumer', groupId: `bench-paced-${run.topic}`, bootstrapBrokers, maxWaitTime: 500, minBytes: 1 });
  const total = run.recordsPerSecond * run.seconds;
  const latencies = new Float64Array(total);
  let received = 0;
  const warmedUp = new Set<number>();
  try {
    const stream = await consumer.consume({ topics: [run.topic], mode: 'latest', autocommit: false });
    const allReceived = new Promise<void>((resolve, reject) => {
      stream.on('data', (message: Message) => {
        const sentNs = message.value.readBigUInt64BE(0);
        // Warm-up records carry no send time: they show that the consumer reads every partition.
        if (sentNs === 0n) {
          warmedUp.add(message.partition);
          return;
        }
        if (received < total) latencies[received] = Number(process.hrtime.bigint() - sentNs) / 1e6;
        received++;
        if (received >= total) resolve();
      });
      stream.on('error', reject);
    });
    while (warmedUp.size < run.partitions) {
      const messages = Array.from({ length: run.partitions }, (_unused, partition) => ({ topic: run.topic, partition, value: Buffer.alloc(run.recordBytes) }));
      await producer.send({ messages, acks: -1 });
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_ROUND_MS));
    }
    const sends: Promise<unknown>[] = [];
    await pace(producer, run, run.recordsPerSecond * run.warmUpSeconds, false, sends);
    await pace(producer, run, total, true, sends);
    await Promise.all(sends);
    await allReceived;
    await stream.close();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
  const sorted = latencies.slice(0, Math.min(received, total)).sort();
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), p999Ms: percentile(sorted, 0.999), samples: sorted.length };
}

/** Sends `count` records at the run's rate, each tick's due records in one request; measured records carry their send time. */
async function pace(producer: Producer, run: PacedLatencyRun, count: number, measured: boolean, sends: Promise<unknown>[]): Promise<void> {
  const started = process.hrtime.bigint();
  const intervalNs = BigInt(Math.round(1e9 / run.recordsPerSecond));
  for (let sent = 0; sent < count;) {
    const due = Math.min(count, Number((process.hrtime.bigint() - started) / intervalNs) + 1);
    if (due > sent) {
      const messages = [];
      for (; sent < due; sent++) {
        const value = Buffer.alloc(run.recordBytes, 0x63);
        value.writeBigUInt64BE(measured ? process.hrtime.bigint() : 0n, 0);
        messages.push({ topic: run.topic, partition: sent % run.partitions, value });
      }
      sends.push(producer.send({ messages, acks: -1 }));
    }
    await new Promise((resolve) => setTimeout(resolve, PACED_TICK_MS));
  }
}
