// Footprint benchmark (not a test): the broker on a device budget, beside mosquitto and bare
// aedes measured in the same run. Five targets, one phase each (a file each):
//
//   idle         ≤ 64 MB RSS 10 s after ready, defaults and with a mirror (idle-footprint.ts)
//   devices      ≤ 128 MB peak RSS with 1,000 QoS 1 devices and a consumer group following;
//                one core with a 96 MB heap ≥ 0.9× the two-core throughput (footprint-devices.ts)
//   connections  ≤ 256 MB with 10,000 idle MQTT clients, and the bytes per connection (footprint-connections.ts)
//   backlog      a 1 GB backlog's RSS within 10% of a 10 MB one's (footprint-backlog.ts)
//   storage      where the store's share of the idle figure goes, piece by piece (storage-footprint.ts);
//                not a target of its own, so run only when named
//
//   npm run bench:footprint                       every phase (about 25 minutes)
//   npm run bench:footprint -- --idle --backlog   the phases named
//   BENCH_DEVICES=1000 BENCH_RATE=5 BENCH_SECONDS=30 BENCH_HEAP_MB=96 BENCH_CONNECTIONS=10000 npm run bench:footprint
import { backlogPhase } from './footprint-backlog.ts';
import { connectionsPhase } from './footprint-connections.ts';
import { devicesPhase } from './footprint-devices.ts';
import { idlePhase } from './idle-footprint.ts';
import { storagePhase } from './storage-footprint.ts';

const PHASES: Record<string, () => Promise<unknown>> = { idle: idlePhase, devices: devicesPhase, connections: connectionsPhase, backlog: backlogPhase };
/** Phases that are a breakdown rather than a target: run only when named. */
const NAMED_ONLY: Record<string, () => Promise<unknown>> = { storage: storagePhase };
const named = Object.keys({ ...PHASES, ...NAMED_ONLY }).filter((name) => process.argv.includes(`--${name}`));
for (const name of named.length > 0 ? named : Object.keys(PHASES)) {
  await (PHASES[name] ?? NAMED_ONLY[name])!();
  console.log('');
}
