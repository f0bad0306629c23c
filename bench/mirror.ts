// Mirror benchmark (not a test): an edge with its embedded mirror sends to a central
// (`tributary central`) through the fault-injecting link capped at 1 MB/s.
//
//   npm run bench:mirror                                   # 100 MB backlog: about 4 minutes
//   BENCH_BACKLOG_MB=10 BENCH_LIVE_SECONDS=8 npm run bench:mirror     # a quick run
//
// 1. Live: producers keep the edge ahead of the link for BENCH_LIVE_SECONDS. Measured over
//    the second half: link utilisation (bytes the link carried / (cap × time)) and the
//    mirror's goodput (source bytes delivered per second, from its metrics).
// 2. Outage and drain: the link is cut, BENCH_BACKLOG_MB of records is produced at the
//    edge, the link comes back, and the time until the central holds every record is the
//    drain time. It is compared with two references for the bytes the mirror sent while
//    draining: the cap's arithmetic (bytes / cap), and a raw TCP stream of the same bytes
//    through an identical link to a sink, measured in the same run.
//
// Record values are random bytes, so compression cannot hide the link: source bytes and
// link bytes are close, and 100 MB at 1 MB/s is about 100 s. Goals: utilisation >= 0.9,
// drain time <= 1.15 × the raw baseline.
import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo } from 'node:net';
import { Producer } from '@platformatic/kafka';
import { createLink, type Link } from '../firmware-sim/link/link.ts';
import { Daemon, metricValue } from '../test/helpers/daemon.ts';
import { freePort, kafkaClient, mirrorThrough } from '../test/mirror/cluster.ts';

function option(name: string, fallback: number): number {
  const flag = process.argv.indexOf(`--${name.toLowerCase().replaceAll('_', '-')}`);
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env[`BENCH_${name}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_${name} / --${name.toLowerCase().replaceAll('_', '-')}: "${raw}" is not a positive number`);
  return value;
}

const CAP_BYTES_PER_SECOND = option('CAP_BYTES', 1_000_000);
const BACKLOG_BYTES = option('BACKLOG_MB', 100) * 1_000_000;
const LIVE_SECONDS = option('LIVE_SECONDS', 20);
const PARTITIONS = option('PARTITIONS', 4);
const RECORD_BYTES = option('RECORD_BYTES', 1000);
/** Records per produce request to the edge. */
const SEND_RECORDS = 500;
/** Between two looks at the central's progress while draining; the drain time is this precise. */
const POLL_MS = 100;

const EDGE = 'bench-edge';
const TOPIC = 'bench';

function record(index: number) {
  return { topic: TOPIC, partition: index % PARTITIONS, key: Buffer.from(`k${index % 64}`), value: randomBytes(RECORD_BYTES) };
}

async function produceBytes(producer: Producer, from: number, bytes: number): Promise<number> {
  const count = Math.ceil(bytes / RECORD_BYTES);
  for (let sent = 0; sent < count; sent += SEND_RECORDS) {
    await producer.send({ messages: Array.from({ length: Math.min(SEND_RECORDS, count - sent) }, (_, index) => record(from + sent + index)) });
  }
  return count;
}

async function edgeEnd(client: ReturnType<typeof kafkaClient>, topic: string): Promise<bigint> {
  let total = 0n;
  for (let partition = 0; partition < PARTITIONS; partition += 1) total += (await client.offsets(topic, partition)).highWatermark;
  return total;
}

async function mirrorMetric(edge: Daemon, name: string): Promise<number> {
  return metricValue(await edge.metrics(), name, { direction: 'forward' }) ?? metricValue(await edge.metrics(), name) ?? 0;
}

/** Time to push `bytes` through a link like the mirror's (same cap) to a TCP sink: the raw baseline. */
async function rawBaseline(bytes: number): Promise<number> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const sink = createServer((socket) => {
    // The link resets its side when the sender goes away; that is the end, not an error.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) done();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${(sink.address() as AddressInfo).port}`, bandwidthBytesPerSecond: CAP_BYTES_PER_SECOND });
  const socket = connect(link.listen.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const chunk = randomBytes(64 * 1024);
  const started = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  await link.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  return seconds;
}

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  console.log(`mirror benchmark: link cap ${mb(CAP_BYTES_PER_SECOND)}/s, ${PARTITIONS} partitions, ${RECORD_BYTES}-byte random values, live ${LIVE_SECONDS} s, backlog ${mb(BACKLOG_BYTES)}`);
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  let link: Link | undefined;
  let edge: Daemon | undefined;
  // A crash must not leave the central and the edge running behind it.
  process.once('uncaughtException', (error) => {
    console.error(error);
    edge?.process.kill('SIGKILL');
    central.process.kill('SIGKILL');
    process.exit(1);
  });
  try {
    link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}`, bandwidthBytesPerSecond: CAP_BYTES_PER_SECOND });
    edge = await Daemon.start({
      config: {
        node: { id: EDGE },
        topics: { overrides: { [TOPIC]: { partitions: PARTITIONS } } },
        mirror: { ...mirrorThrough(centralPort, link.listen.port, { topics: { include: [TOPIC] } }), heartbeat: { intervalMs: 5_000 } },
      },
    });
    const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
    const edgeReader = kafkaClient(`127.0.0.1:${edge.ports.kafka}`, 'bench-edge-reader');
    const centralReader = kafkaClient(`127.0.0.1:${centralPort}`, 'bench-central-reader');
    let produced = 0;

    // 1. Live, saturated: keep the edge ahead of the link.
    const liveEnd = Date.now() + LIVE_SECONDS * 1000;
    const live = (async () => {
      while (Date.now() < liveEnd) {
        const lag = Number(await edgeEnd(edgeReader, TOPIC)) - Number(await mirrorMetric(edge!, 'tributary_mirror_records_delivered_total'));
        if (lag * RECORD_BYTES < 4 * CAP_BYTES_PER_SECOND) produced += await produceBytes(producer, produced, CAP_BYTES_PER_SECOND);
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, (LIVE_SECONDS * 1000) / 2));
    const startLink = link.stats().bytesUpstream;
    const startSource = await mirrorMetric(edge, 'tributary_mirror_source_bytes_delivered_total');
    const startMs = performance.now();
    await live;
    const liveSeconds = (performance.now() - startMs) / 1000;
    const linkBytes = link.stats().bytesUpstream - startLink;
    const sourceBytes = (await mirrorMetric(edge, 'tributary_mirror_source_bytes_delivered_total')) - startSource;
    const utilisation = linkBytes / (CAP_BYTES_PER_SECOND * liveSeconds);
    const goodput = sourceBytes / liveSeconds;
    // Let the live phase's backlog drain before the outage.
    while ((await edgeEnd(centralReader, `${EDGE}.${TOPIC}`).catch(() => 0n)) < BigInt(produced)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));

    // 2. Outage: the link is down while the backlog builds up at the edge.
    link.cut();
    produced += await produceBytes(producer, produced, BACKLOG_BYTES);
    await producer.close();
    const total = BigInt(produced);
    const linkBefore = link.stats().bytesUpstream;
    const drainStart = performance.now();
    link.restore();
    while ((await edgeEnd(centralReader, `${EDGE}.${TOPIC}`)) < total) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const drainBytes = link.stats().bytesUpstream - linkBefore;
    await edgeReader.close();
    await centralReader.close();

    const theoretical = drainBytes / CAP_BYTES_PER_SECOND;
    const baseline = await rawBaseline(drainBytes);
    const ratio = drainSeconds / baseline;
    const lines = [
      '',
      'live (second half of the live phase)',
      `  link utilisation      ${utilisation.toFixed(3)}   (${mb(linkBytes)} in ${liveSeconds.toFixed(1)} s at a cap of ${mb(CAP_BYTES_PER_SECOND)}/s)   goal >= 0.9: ${utilisation >= 0.9 ? 'met' : 'NOT MET'}`,
      `  goodput               ${mb(goodput)}/s of source bytes delivered   (${(goodput / CAP_BYTES_PER_SECOND).toFixed(3)} × the cap)`,
      '',
      `drain of a ${mb(BACKLOG_BYTES)} backlog after an outage`,
      `  drain time            ${drainSeconds.toFixed(1)} s   (${mb(drainBytes)} on the link, ${mb((BACKLOG_BYTES / drainSeconds))}/s of source bytes)`,
      `  cap arithmetic        ${theoretical.toFixed(1)} s   (link bytes / cap)   ratio ${(drainSeconds / theoretical).toFixed(3)}`,
      `  raw TCP baseline      ${baseline.toFixed(1)} s   (same bytes, same link, no Kafka)   ratio ${ratio.toFixed(3)}   goal <= 1.15: ${ratio <= 1.15 ? 'met' : 'NOT MET'}`,
    ];
    console.log(lines.join('\n'));
    console.log(JSON.stringify({ bench: 'mirror', capBytesPerSecond: CAP_BYTES_PER_SECOND, utilisation, goodputBytesPerSecond: goodput, backlogBytes: BACKLOG_BYTES, drainSeconds, drainLinkBytes: drainBytes, theoreticalSeconds: theoretical, baselineSeconds: baseline, drainToBaseline: ratio }));
  } finally {
    await edge?.cleanup();
    await central.cleanup();
    await link?.close();
  }
}

await main();
