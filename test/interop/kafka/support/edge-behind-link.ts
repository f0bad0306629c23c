// The edge with the project's fault-injecting link (firmware-sim/link) between it and a
// Kafka client. Metadata must send the client back through the link, so the link takes the
// broker's own port on a second loopback address and the daemon advertises that address:
// the client dials 127.0.0.2:P (the link), the link forwards to 127.0.0.1:P (the daemon).
import { createLink, type Link } from '../../../../firmware-sim/link/link.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from '../../../edge/kafka/clients/support/raw-kafka.ts';

/** Every 127.0.0.0/8 address reaches the loopback interface on Linux; this one is the link's. */
const LINK_HOST = '127.0.0.2';
/**
 * Added delay each way: an answer spends this long inside the link, so a cut made just
 * after the broker appended a batch loses the batch's acknowledgement.
 */
const LINK_LATENCY_MS = 100;
/** One long poll for an append waits at most this long. */
const APPEND_POLL_MS = 2_000;
/** Bytes one long poll asks for; it only needs to learn the log end. */
const APPEND_POLL_BYTES = 64 * 1024;

export interface EdgeBehindLink {
  daemon: Daemon;
  link: Link;
  /** What the client bootstraps with: the link. */
  bootstrap: string;
  close(): Promise<void>;
}

export async function startEdgeBehindLink(config: Record<string, unknown>): Promise<EdgeBehindLink> {
  const daemon = await Daemon.start({ config: { ...config, kafka: { ...(config.kafka as Record<string, unknown> | undefined), advertisedHost: LINK_HOST } } });
  let link: Link;
  try {
    const port = daemon.ports.kafka!;
    link = await createLink({ listen: { host: LINK_HOST, port }, target: { host: '127.0.0.1', port }, latencyMs: LINK_LATENCY_MS });
  } catch (error) {
    await daemon.cleanup();
    throw error;
  }
  return {
    daemon,
    link,
    bootstrap: `${LINK_HOST}:${daemon.ports.kafka!}`,
    async close() {
      await link.close();
      await daemon.cleanup();
    },
  };
}

/**
 * Resolves once partition 0 of `topic` holds more records than `acknowledged()` says the
 * producer has heard about, asking the broker directly (not through the link) with Fetch
 * long polls that return as soon as an append lands.
 */
export async function waitForUnacknowledgedAppend(port: number, topic: string, acknowledged: () => number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const connection = await RawKafkaConnection.connect(port);
  try {
    while (Date.now() < deadline) {
      const from = BigInt(acknowledged());
      const response = await connection.request(1, 4, {
        maxWaitMs: APPEND_POLL_MS,
        minBytes: 1,
        maxBytes: APPEND_POLL_BYTES,
        isolationLevel: 0,
        topics: [{ topic, topicId: '', partitions: [{ partition: 0, fetchOffset: from, partitionMaxBytes: APPEND_POLL_BYTES }] }],
        forgottenTopicsData: [],
      });
      const answer = response.responses[0]!.partitions[0]!;
      if (answer.errorCode !== 0) throw new Error(`Fetch ${topic}-0 at ${from}: error ${answer.errorCode}`);
      if (answer.highWatermark > BigInt(acknowledged())) return;
    }
    throw new Error(`the broker held no record beyond the producer's ${acknowledged()} acknowledged within ${timeoutMs} ms`);
  } finally {
    await connection.close();
  }
}
