// The edge's embedded mirror (the product's default) through the capped link, in two phases:
//
// 1. Live: producers keep the edge ahead of the link for `liveSeconds`. Measured over the
//    second half: link utilisation (bytes the link carried / (cap × time)) and the mirror's
//    goodput (source bytes delivered per second, from its metrics).
// 2. Outage and drain: the link is cut, `backlogBytes` of records is produced at the edge,
//    the link comes back, and the time until the central holds every record is the drain
//    time, next to the cap's arithmetic for the bytes the mirror sent while draining.
import { Producer } from '@platformatic/kafka';
import { Daemon, metricValue } from '../../test/helpers/daemon.ts';
import { kafkaClient } from '../../test/mirror/cluster.ts';
import type { Central } from './central.ts';
import { produceBytes } from './edge-records.ts';
import { cleanUpOnCrash } from '../cleanup-on-crash.ts';

/** Between two looks at the central's progress while draining; the drain time is this precise. */
const POLL_MS = 100;
/** The live producers stop adding while the edge is this many seconds of link time ahead. */
const LIVE_LEAD_SECONDS = 4;
/** Between two looks at the lag while the live producers wait. */
const LIVE_WAIT_MS = 200;

export interface EmbeddedMirrorSizes { capBytesPerSecond: number; liveSeconds: number; backlogBytes: number; partitions: number; recordBytes: number }

export interface EmbeddedMirrorFigures {
  utilisation: number;
  goodputBytesPerSecond: number;
  liveLinkBytes: number;
  liveSeconds: number;
  drainSeconds: number;
  drainLinkBytes: number;
}

const EDGE = 'bench-edge';
const TOPIC = 'bench';

async function totalEnd(client: ReturnType<typeof kafkaClient>, topic: string, partitions: number): Promise<bigint> {
  let total = 0n;
  for (let partition = 0; partition < partitions; partition += 1) total += (await client.offsets(topic, partition)).highWatermark;
  return total;
}

async function mirrorMetric(edge: Daemon, name: string): Promise<number> {
  const text = await edge.metrics();
  return metricValue(text, name, { direction: 'forward' }) ?? metricValue(text, name) ?? 0;
}

export async function embeddedMirror(central: Central, sizes: EmbeddedMirrorSizes): Promise<EmbeddedMirrorFigures> {
  const link = await central.openLink(sizes.capBytesPerSecond);
  let edge: Daemon | undefined;
  let forget = (): void => undefined;
  try {
    edge = await Daemon.start({
      config: {
        node: { id: EDGE },
        log: { level: 'warn' },
        topics: { overrides: { [TOPIC]: { partitions: sizes.partitions } } },
        // Retries after the cut come quickly, so that the drain time measures the draining, not a backoff that has doubled while the link was down.
        mirror: { target: { bootstrap: [central.linkBootstrap] }, topics: { include: [TOPIC] }, heartbeat: { intervalMs: 5_000 }, link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 400 } },
      },
    });
    const started = edge;
    forget = cleanUpOnCrash(() => started.cleanup());
    const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
    const edgeReader = kafkaClient(`127.0.0.1:${edge.ports.kafka}`, 'bench-edge-reader');
    const centralReader = kafkaClient(central.bootstrap, 'bench-central-reader');
    const target = `${EDGE}.${TOPIC}`;
    let produced = 0;
    try {
      // 1. Live, saturated: keep the edge ahead of the link.
      const liveEnd = Date.now() + sizes.liveSeconds * 1000;
      const live = (async () => {
        while (Date.now() < liveEnd) {
          const lag = Number(await totalEnd(edgeReader, TOPIC, sizes.partitions)) - (await mirrorMetric(edge!, 'tributary_mirror_records_delivered_total'));
          if (lag * sizes.recordBytes < LIVE_LEAD_SECONDS * sizes.capBytesPerSecond) produced += await produceBytes(producer, TOPIC, produced, sizes.capBytesPerSecond, sizes);
          else await new Promise((resolve) => setTimeout(resolve, LIVE_WAIT_MS));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, (sizes.liveSeconds * 1000) / 2));
      const startLink = link.stats().bytesUpstream;
      const startSource = await mirrorMetric(edge, 'tributary_mirror_source_bytes_delivered_total');
      const startMs = performance.now();
      await live;
      const liveSeconds = (performance.now() - startMs) / 1000;
      const liveLinkBytes = link.stats().bytesUpstream - startLink;
      const sourceBytes = (await mirrorMetric(edge, 'tributary_mirror_source_bytes_delivered_total')) - startSource;
      // Let the live phase's backlog drain before the outage.
      while ((await totalEnd(centralReader, target, sizes.partitions).catch(() => 0n)) < BigInt(produced)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));

      // 2. Outage: the link is down while the backlog builds up at the edge.
      link.cut();
      produced += await produceBytes(producer, TOPIC, produced, sizes.backlogBytes, sizes);
      const linkBefore = link.stats().bytesUpstream;
      const drainStart = performance.now();
      link.restore();
      while ((await totalEnd(centralReader, target, sizes.partitions)) < BigInt(produced)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      return {
        utilisation: liveLinkBytes / (sizes.capBytesPerSecond * liveSeconds),
        goodputBytesPerSecond: sourceBytes / liveSeconds,
        liveLinkBytes,
        liveSeconds,
        drainSeconds: (performance.now() - drainStart) / 1000,
        drainLinkBytes: link.stats().bytesUpstream - linkBefore,
      };
    } finally {
      await producer.close();
      await edgeReader.close();
      await centralReader.close();
    }
  } finally {
    // SIGTERM first, as a service manager stops it: Node.js then writes its compile cache.
    await edge?.stop();
    await edge?.cleanup();
    forget();
    await link.close();
  }
}
