// `npm run soak -- --hours N`: the edge under a steady, realistic load for hours, watched
// for what only time shows — memory or descriptors that creep up, a log that outgrows its
// budget, a record acknowledged and later lost.
//
// The load (scripts/soak/topology.ts): 1,000 simulated MQTT devices (QoS 1, persistent
// sessions, each going quiet and reconnecting now and then, answering commands), an
// idempotent Kafka producer, commands produced to the devices, two consumer groups whose
// members are replaced every few minutes, and the embedded mirror delivering to a central
// through a fault-injecting link that is cut every few minutes; the daemon re-reads its
// configuration on SIGHUP every few minutes.
//
// Sampled all along: RSS, V8 heap, open file descriptors, event-loop delay, CPU, the log
// against its disk budget and the data directory on disk. At the end the load stops, the
// mirror catches up, and every acknowledged record is looked for on the central.
//
// Passes when, after the warm-up, memory and descriptors are flat, the log stays within its
// budget, and no acknowledged record is missing. Prints the curves as a table and writes
// them (report.md, samples.csv) to test-artifacts/soak/<time>/; exits 1 on a failure.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAverage } from '../bench/process-stats.ts';
import { cleanUpOnCrash } from '../bench/cleanup-on-crash.ts';
import { metricValue } from '../test/helpers/daemon.ts';
import type { FleetReport } from '../firmware-sim/sim/fleet.ts';
import { checkAcknowledged, identifyReading, type AcknowledgedCheck } from './soak/acknowledged-check.ts';
import { sequenceOfValue, type KafkaLoadReport } from './soak/kafka-load.ts';
import { renderCurves, samplesCsv } from './soak/report.ts';
import { takeSample, type Sample } from './soak/sampler.ts';
import { EDGE_ID, SEGMENT_BYTES, TOPICS, startTopology, type SoakSettings, type Topology } from './soak/topology.ts';
import { afterWarmUp, checkFlat, checkWithinBudget, mebibytes, plain, type Check } from './soak/verdict.ts';

const USAGE = `usage: npm run soak -- --hours N [options]

options:
  --hours N                  how long the load runs (or --minutes N)
  --devices N                simulated MQTT devices (default 1000)
  --device-rate R            readings per second per device (default 0.2)
  --kafka-rate R             records per second from the Kafka producer (default 100)
  --cut-every-minutes M      the mirror's link is cut this often (default 3)
  --cut-seconds S            for this long (default 15)
  --reload-every-minutes M   SIGHUP to the daemon this often (default 5)
  --disk-budget-mib N        the edge's storage.diskBudgetBytes (default 32)
  --sample-seconds S         between samples (default: 360 samples over the run, 5 s at least)
  --warm-up-minutes M        not judged (default: a sixth of the run, 10 minutes at most)
  --keep                     keep the data directories and logs`;

/** Rows of the printed table, whatever the run's length. */
const TABLE_ROWS = 12;
/** How long the mirror may take to deliver the backlog once the load stops. */
const DRAIN_TIMEOUT_MS = 10 * 60_000;
/** A device fleet gets this long past its duration to finish in-flight publishes and write its report. */
const FLEET_EXIT_GRACE_MS = 60_000;
const MIB = 1024 * 1024;

function settingsFrom(argv: string[]): (SoakSettings & { reloadEveryMs: number; sampleMs: number; warmUpSeconds: number; keep: boolean }) | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      hours: { type: 'string' }, minutes: { type: 'string' }, devices: { type: 'string', default: '1000' }, 'device-rate': { type: 'string', default: '0.2' },
      'kafka-rate': { type: 'string', default: '100' }, 'cut-every-minutes': { type: 'string', default: '3' }, 'cut-seconds': { type: 'string', default: '15' },
      'reload-every-minutes': { type: 'string', default: '5' }, 'disk-budget-mib': { type: 'string', default: '32' }, 'sample-seconds': { type: 'string' },
      'warm-up-minutes': { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (values.hours === undefined && values.minutes === undefined)) return undefined;
  const positive = (text: string | undefined, option: string): number => {
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${option} must be a positive number, not "${text}"`);
    return value;
  };
  const durationSeconds = Math.round(values.hours !== undefined ? positive(values.hours, 'hours') * 3600 : positive(values.minutes, 'minutes') * 60);
  const directory = mkdtempSync(join(tmpdir(), 'tributary-soak-'));
  return {
    durationSeconds,
    devices: Math.round(positive(values.devices, 'devices')),
    deviceRate: positive(values['device-rate'], 'device-rate'),
    kafkaRecordsPerSecond: positive(values['kafka-rate'], 'kafka-rate'),
    cutEveryMs: positive(values['cut-every-minutes'], 'cut-every-minutes') * 60_000,
    cutForMs: positive(values['cut-seconds'], 'cut-seconds') * 1000,
    diskBudgetBytes: Math.round(positive(values['disk-budget-mib'], 'disk-budget-mib') * MIB),
    reloadEveryMs: positive(values['reload-every-minutes'], 'reload-every-minutes') * 60_000,
    sampleMs: values['sample-seconds'] !== undefined ? positive(values['sample-seconds'], 'sample-seconds') * 1000 : Math.max(5_000, durationSeconds * 1000 / 360),
    warmUpSeconds: values['warm-up-minutes'] !== undefined ? positive(values['warm-up-minutes'], 'warm-up-minutes') * 60 : Math.min(600, durationSeconds / 6),
    keep: values.keep === true,
    directory,
  };
}

/** Stops the load, waits for the fleets' and the producer's reports. */
async function stopLoad(topology: Topology): Promise<{ fleets: FleetReport[]; kafka: KafkaLoadReport }> {
  await Promise.race([Promise.all(topology.sims.map((sim) => sim.process.exited)), sleep(FLEET_EXIT_GRACE_MS)]);
  await Promise.all(topology.sims.map((sim) => sim.process.stop('SIGINT')));
  await topology.kafkaLoad.process.stop('SIGTERM');
  const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
  return { fleets: topology.sims.map((sim) => read<FleetReport>(sim.reportPath)), kafka: read<KafkaLoadReport>(topology.kafkaLoad.reportPath) };
}

async function waitForMirror(adminPort: number): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let backlog = Number.NaN;
  while (Date.now() < deadline) {
    const report = await (await fetch(`http://127.0.0.1:${adminPort}/api/mirror`)).json() as { backlogRecords?: number };
    backlog = Number(report.backlogRecords ?? Number.NaN);
    if (backlog === 0) return 0;
    await sleep(2_000);
  }
  return backlog;
}

function lossChecks(results: AcknowledgedCheck[], evictedUndelivered: number): Check[] {
  const checks = results.map((result): Check => ({
    name: `no acknowledged record lost (${result.topic})`,
    passed: result.missing === 0 && result.duplicateSourceOffsets === 0 && result.acknowledged > 0,
    detail: `${result.acknowledged.toLocaleString('en')} acknowledged, ${result.found.toLocaleString('en')} found on the central, ${result.missing} missing${result.missingExamples.length > 0 ? ` (${result.missingExamples.join(', ')})` : ''}; `
      + `${result.duplicateSourceOffsets} source offsets delivered twice; ${result.repeated} readings resent by their device (MQTT QoS 1), ${result.unrecognised} records not the soak's`,
  }));
  checks.push({ name: 'retention evicted nothing undelivered', passed: evictedUndelivered === 0, detail: `tributary_storage_undelivered_evicted_records_total ${evictedUndelivered}` });
  return checks;
}

async function main(): Promise<number> {
  const settings = settingsFrom(process.argv.slice(2));
  if (settings === undefined) {
    console.log(USAGE);
    return 2;
  }
  const out = resolve(import.meta.dirname, '..', 'test-artifacts', 'soak', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(out, { recursive: true });
  console.log(`soak: ${(settings.durationSeconds / 60).toFixed(0)} minutes, ${settings.devices} devices × ${settings.deviceRate}/s, Kafka ${settings.kafkaRecordsPerSecond} records/s, link cut every ${settings.cutEveryMs / 60_000} min for ${settings.cutForMs / 1000} s, SIGHUP every ${settings.reloadEveryMs / 60_000} min; load average ${loadAverage().join(' ')}; files in ${settings.directory}`);
  let topology: Topology | undefined;
  const stopAll = async (): Promise<void> => {
    for (const part of [...(topology?.parts ?? [])].reverse()) await part.stop(part.name.startsWith('sim-') ? 'SIGINT' : 'SIGTERM');
  };
  const forget = cleanUpOnCrash(stopAll);
  const samples: Sample[] = [];
  const events = { reloads: 0, reloadsApplied: 0, cuts: 0, sampleFailures: 0 };
  try {
    topology = await startTopology(settings);
    const { edge } = topology;
    edge.process.on((event) => { if (event.msg === 'SIGHUP: configuration reloaded') events.reloadsApplied += 1; });
    topology.link.process.on((event) => { if (event.event === 'cut') events.cuts += 1; });
    const died = Promise.race(topology.parts.filter((part) => !part.name.startsWith('sim-')).map((part) => part.exited.then((code) => `${part.name} exited (${code}) during the run; its last lines:\n${part.tail}`)));
    const started = Date.now();
    let nextReload = started + settings.reloadEveryMs;
    const endAt = started + settings.durationSeconds * 1000;
    while (Date.now() < endAt) {
      const failure = await Promise.race([died, sleep(Math.min(settings.sampleMs, Math.max(0, endAt - Date.now()))).then(() => undefined)]);
      if (failure !== undefined) throw new Error(failure);
      const elapsedSeconds = (Date.now() - started) / 1000;
      try {
        const sample = await takeSample(edge.pid, edge.ports.http, edge.dataDirectory, elapsedSeconds);
        samples.push(sample);
        if (samples.length % 6 === 1) console.log(`  ${(elapsedSeconds / 60).toFixed(1)} min: RSS ${mebibytes(sample.rssBytes)}, heap ${mebibytes(sample.heapUsedBytes)}, ${sample.openFileDescriptors} fds, loop p99 ${(sample.eventLoopDelayP99Seconds * 1000).toFixed(0)} ms, log ${mebibytes(sample.logBytes)}, ${sample.mqttClients} MQTT clients, mirror backlog ${sample.mirrorBacklogRecords}; load ${loadAverage()[0]}`);
      } catch (error) {
        events.sampleFailures += 1;
        console.log(`  sample failed: ${(error as Error).message}`);
      }
      if (Date.now() >= nextReload) {
        nextReload += settings.reloadEveryMs;
        // The same file again: the reload reads and validates it, and must change nothing.
        writeFileSync(edge.configPath, readFileSync(edge.configPath));
        process.kill(edge.pid, 'SIGHUP');
        events.reloads += 1;
      }
    }

    console.log('load stopped; waiting for the device and Kafka reports, then for the mirror to catch up');
    const load = await stopLoad(topology);
    const backlog = await waitForMirror(edge.ports.http);
    const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
    const acknowledgedReadings = new Map(load.fleets.flatMap((fleet) => Object.entries(fleet.perDevice).map(([device, report]) => [device, report.acknowledgedSequences] as const)));
    const results = [
      await checkAcknowledged(topology.central.kafka, { topic: `${EDGE_ID}.sensors`, partitions: TOPICS.sensors, identify: identifyReading, acknowledged: acknowledgedReadings }),
      await checkAcknowledged(topology.central.kafka, {
        topic: `${EDGE_ID}.orders`,
        partitions: TOPICS.orders,
        identify: (record) => {
          const sequence = record.value === null ? undefined : sequenceOfValue(Buffer.from(record.value).toString('utf8'));
          return sequence === undefined ? undefined : { producer: 'kafka', sequence };
        },
        acknowledged: new Map([['kafka', load.kafka.acknowledged]]),
      }),
    ];
    const judged = afterWarmUp(samples, settings.warmUpSeconds);
    const checks: Check[] = [
      checkFlat('RSS flat after warm-up', judged, (sample) => sample.rssBytes, { absolute: 16 * MIB, fraction: 0.1 }, mebibytes),
      checkFlat('V8 heap flat after warm-up', judged, (sample) => sample.heapUsedBytes, { absolute: 8 * MIB, fraction: 0.1 }, mebibytes),
      checkFlat('file descriptors flat after warm-up', judged, (sample) => sample.openFileDescriptors, { absolute: 32, fraction: 0.05 }, plain),
      checkWithinBudget(judged, settings.diskBudgetBytes, Object.values(TOPICS).reduce((sum, partitions) => sum + partitions, 0) * SEGMENT_BYTES),
      { name: 'mirror caught up after the load', passed: backlog === 0, detail: `backlog ${backlog} records after the load stopped` },
      ...lossChecks(results, metricValue(metrics, 'tributary_storage_undelivered_evicted_records_total') ?? 0),
      { name: 'daemon answered every sample', passed: events.sampleFailures === 0, detail: `${events.sampleFailures} of ${samples.length + events.sampleFailures} samples failed` },
    ];
    await stopAll();
    const edgeExit = await edge.process.exited;
    checks.push({ name: 'daemon stopped cleanly', passed: edgeExit === 0, detail: `exit status ${edgeExit} on SIGTERM` });

    const fleetTotals = load.fleets.reduce((sum, fleet) => ({ acknowledged: sum.acknowledged + fleet.totals.acknowledged, reconnects: sum.reconnects + fleet.totals.reconnects, commands: sum.commands + fleet.totals.commandsAnswered }), { acknowledged: 0, reconnects: 0, commands: 0 });
    const lines = [
      `# Soak, ${(settings.durationSeconds / 60).toFixed(0)} minutes (warm-up ${(settings.warmUpSeconds / 60).toFixed(0)} min, a sample every ${(settings.sampleMs / 1000).toFixed(0)} s)`,
      '',
      `Load: ${settings.devices} MQTT devices × ${settings.deviceRate} readings/s (${fleetTotals.acknowledged.toLocaleString('en')} acknowledged, ${fleetTotals.reconnects.toLocaleString('en')} reconnects, ${fleetTotals.commands.toLocaleString('en')} commands answered); `
        + `Kafka producer ${settings.kafkaRecordsPerSecond}/s (${load.kafka.acknowledgedCount.toLocaleString('en')} acknowledged, ${load.kafka.failed} failed); consumer groups ${Object.entries(load.kafka.groups).map(([group, figures]) => `${group} read ${figures.consumed.toLocaleString('en')} (${figures.membersReplaced} members replaced)`).join(', ')}; `
        + `${events.cuts} link cuts of ${settings.cutForMs / 1000} s; ${events.reloads} SIGHUP reloads (${events.reloadsApplied} logged as reloaded); disk budget ${mebibytes(settings.diskBudgetBytes)}. Load average at the end ${loadAverage().join(' ')}.`,
      '',
      ...renderCurves(samples, TABLE_ROWS),
      '',
      ...checks.map((check) => `- ${check.passed ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`),
      ...(Object.keys(load.kafka.errors).length > 0 ? ['', `Kafka client errors: ${JSON.stringify(load.kafka.errors)}`] : []),
    ];
    writeFileSync(join(out, 'report.md'), `${lines.join('\n')}\n`);
    writeFileSync(join(out, 'samples.csv'), samplesCsv(samples));
    console.log(`\n${lines.join('\n')}\n\nreport and samples in ${out}`);
    return checks.every((check) => check.passed) ? 0 : 1;
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    settings.keep = true;
    await stopAll();
    return 1;
  } finally {
    forget();
    if (settings.keep) console.log(`data and logs kept in ${settings.directory}`);
    else rmSync(settings.directory, { recursive: true, force: true });
  }
}

process.exitCode = await main();
