// The many-connections phase of the footprint benchmark: what each idle MQTT connection
// costs a broker. CONNECTIONS clients connect (MQTT 3.1.1, keep-alive 60 s, nothing else)
// from CLIENT_PROCESSES processes and stay; SETTLE_MS later the broker's VmRSS is read and
// compared with its RSS before the first connection. The target: Tributary with 10,000
// such clients at most CONNECTIONS_RSS_TARGET_MB resident, beside mosquitto and bare aedes
// holding the same clients in the same run.
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryKiB } from './process-stats.ts';
import { role, startAedes, startMosquitto, startTributary, type Broker } from './mqtt-brokers.ts';
import { cell, fixed, goalLine } from './report.ts';
import { spread } from './statistics.ts';

/** The footprint plan's target: 10,000 idle MQTT clients held in at most this. */
export const CONNECTIONS_RSS_TARGET_MB = 256;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const RUNS = Number(process.env.BENCH_CONNECTION_RUNS ?? 3);
/** Client processes: each holds its share of the sockets, well under its descriptor limit. */
const CLIENT_PROCESSES = 2;
/** How long the broker is left with every client connected before its memory is read. */
const SETTLE_MS = Number(process.env.BENCH_CONNECTIONS_SETTLE_MS ?? 5_000);
/** Pause after a broker's start, so that its own start-up is over before the first reading. */
const START_SETTLE_MS = 2_000;
/** Any broker's in-flight window; idle clients send nothing, so it only has to be the same. */
const INFLIGHT = 100;

interface ConnectionsResult { rssMB: number; bytesPerConnection: number; connected: number }

const BROKERS: Record<string, () => Promise<Broker>> = {
  // A device that serves this many clients raises mqtt.limits.maxConnections, as here.
  tributary: () => startTributary({ config: { log: { level: 'warn' }, mqtt: { limits: { maxConnections: CONNECTIONS + 100 } } } }),
  mosquitto: () => startMosquitto(INFLIGHT),
  'bare aedes': startAedes,
};

async function holdConnections(start: () => Promise<Broker>): Promise<ConnectionsResult> {
  const broker = await start();
  try {
    await sleep(START_SETTLE_MS);
    const beforeKiB = memoryKiB(broker.pid, 'VmRSS');
    const share = Math.ceil(CONNECTIONS / CLIENT_PROCESSES);
    const clients = Array.from({ length: CLIENT_PROCESSES }, (_unused, index) => role('idle', broker.port, Math.min(share, CONNECTIONS - index * share), 4));
    try {
      const connected = (await Promise.all(clients.map((client) => client.next()))).reduce((sum, line) => sum + Number(line.count), 0);
      await sleep(SETTLE_MS);
      const afterKiB = memoryKiB(broker.pid, 'VmRSS');
      return { rssMB: afterKiB / 1024, bytesPerConnection: (afterKiB - beforeKiB) * 1024 / Math.max(connected, 1), connected };
    } finally {
      await Promise.all(clients.map((client) => client.finish()));
    }
  } finally {
    await broker.stop();
  }
}

export async function connectionsPhase(): Promise<Record<string, ConnectionsResult[]>> {
  console.log(`Many idle connections: ${CONNECTIONS.toLocaleString('en')} MQTT 3.1.1 clients (keep-alive only) per broker, RSS ${SETTLE_MS / 1000} s after the last connected; ${RUNS} runs, the order rotating; target ≤ ${CONNECTIONS_RSS_TARGET_MB} MB`);
  const names = Object.keys(BROKERS);
  const results: Record<string, ConnectionsResult[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (let step = 0; step < names.length; step += 1) {
      const name = names[(run + step) % names.length]!;
      const result = await holdConnections(BROKERS[name]!);
      results[name]!.push(result);
      console.log(`  run ${run + 1} ${name.padEnd(10)} ${result.connected.toLocaleString('en')} connected, RSS ${result.rssMB.toFixed(1)} MB, ${Math.round(result.bytesPerConnection).toLocaleString('en')} bytes per connection`);
    }
  }
  for (const name of names) {
    const runs = results[name]!;
    console.log(`  ${name.padEnd(10)} RSS ${cell(spread(runs.map((run) => run.rssMB)), fixed(1))} MB, bytes per connection ${cell(spread(runs.map((run) => run.bytesPerConnection)), fixed(0))}, connected ${cell(spread(runs.map((run) => run.connected)), fixed(0))}`);
  }
  const ratio = (other: string) => results.tributary!.map((run, index) => run.bytesPerConnection / results[other]![index]!.bytesPerConnection);
  console.log(`  bytes per connection, tributary / mosquitto ${cell(spread(ratio('mosquitto')), fixed(2))}, tributary / bare aedes ${cell(spread(ratio('bare aedes')), fixed(2))} (same run)`);
  const allConnected = results.tributary!.every((run) => run.connected === CONNECTIONS);
  console.log(`  ${goalLine({ label: `tributary RSS MB with ${CONNECTIONS.toLocaleString('en')} clients${allConnected ? '' : ' (NOT ALL CONNECTED)'}`, values: results.tributary!.map((run) => run.rssMB), atMost: CONNECTIONS_RSS_TARGET_MB })}`);
  return results;
}

if (process.argv[1] === import.meta.filename) await connectionsPhase();
