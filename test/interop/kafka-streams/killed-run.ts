// One run of the Streams application against the edge under a processing guarantee, with
// both crashes the edge's users meet: the daemon is SIGKILLed while readings are produced
// and processed, and started again on the same port and data directory; then the
// application is SIGKILLed mid-run, its local state directory deleted, and started again,
// so that it rebuilds its stores from their changelog topics and goes on. A last instance
// on an empty state directory restores the window store once more and prints it.
//
// The outcome is what the test checks: the inputs as stored, every output record, the
// restored store, the internal topics and the repartition topic's log start offsets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { deviceLines, makeReadings, readingLines, windowBase, type Reading } from './readings.ts';
import { StreamsPrograms, type Guarantee, type LineProcess, type ProgramLine, type TopicDump } from './streams-programs.ts';

/** Readings produced in each of the three phases: before and across the daemon's kill, across the application's, after its restart. */
const READINGS_PER_PHASE = 600;
/** The producer's pace, so that the kills fall while readings are still coming in. */
const PRODUCE_RATE_PER_SECOND = 200;
/** Acknowledged readings of the first phase before the daemon is killed. */
const ACKED_BEFORE_DAEMON_KILL = 200;
/** Readings the application repartitions in the second phase before it is killed. */
const PROCESSED_BEFORE_APPLICATION_KILL = 150;
/**
 * How long the application may take to join its group, create its topics and restore, or
 * to catch up after a crash (a rebalance waits for a dead member's 6 s session); generous
 * for a loaded 2-core machine.
 */
const APPLICATION_WAIT_MS = 180_000;
/** Each producer run: three seconds of readings, plus the daemon's restart. */
const PRODUCE_WAIT_MS = 180_000;

export interface StreamsTopics {
  readings: TopicDump;
  enriched: TopicDump;
  windows: TopicDump;
  /** Its log start offsets are above 0 once Streams purged it with DeleteRecords. */
  repartition: TopicDump;
}

export interface KilledRunOutcome {
  applicationId: string;
  sent: Reading[];
  topics: StreamsTopics;
  /** The window store as an instance restored it from the changelog into an empty state directory. */
  restored: Map<string, string>;
  /** Every topic whose name starts with the application id, as DescribeTopics and DescribeConfigs report it. */
  internalTopics: ProgramLine[];
  /** Records of the enriched topic a read_uncommitted reader gets beyond those above: what aborted transactions wrote (0 under at_least_once). */
  abortedEnriched: number;
  /** When each step ended, from the start of the run: for the summary line. */
  timeline: string[];
  /** The isolation level the outputs were read with: read_committed under exactly_once_v2. */
  isolation: 'read_committed' | 'read_uncommitted';
}

export async function killedRun(guarantee: Guarantee): Promise<KilledRunOutcome> {
  const programs = await StreamsPrograms.compile();
  const stateParent = mkdtempSync(join(tmpdir(), 'tributary-streams-state-'));
  let daemon = await Daemon.start();
  const running: LineProcess[] = [];
  const startedMs = Date.now();
  const timeline: string[] = [];
  const mark = (what: string): void => { timeline.push(`${what} ${((Date.now() - startedMs) / 1000).toFixed(1)} s`); };
  try {
    const port = daemon.ports.kafka!;
    const bootstrap = `127.0.0.1:${port}`;
    const applicationId = `edge-streams-${guarantee.replaceAll('_', '-')}`;
    const base = windowBase();
    const sent: Reading[] = [];
    const isolation = guarantee === 'exactly_once_v2' ? 'read_committed' : 'read_uncommitted';

    // The topics the application reads and writes; its internal topics are its own to create.
    await programs.run('create', [bootstrap, 'readings:3', 'devices:3:compact', 'enriched:3', 'windows:3']);
    await produce(programs, bootstrap, 'devices', deviceLines(base), 12);

    const startApplication = (name: string, stateDirectory: string): LineProcess => {
      const application = programs.start(name, 'run', [bootstrap, applicationId, guarantee, stateDirectory]);
      running.push(application);
      return application;
    };
    const isRunning = (application: LineProcess) => () => application.last('state')?.state === 'RUNNING';
    const processed = (application: LineProcess): number => Number(application.last('processed')?.count ?? 0);

    let application = startApplication('first instance', join(stateParent, 'first'));
    await application.waitFor(isRunning(application), 'RUNNING state', APPLICATION_WAIT_MS);
    mark('running');

    // Phase 1: the daemon dies while readings are produced and processed, and comes back on its port.
    const phase1 = makeReadings(0, READINGS_PER_PHASE, base);
    sent.push(...phase1);
    const producer1 = programs.start('producer, phase 1', 'produce', [bootstrap, 'readings', String(PRODUCE_RATE_PER_SECOND)], readingLines(phase1));
    running.push(producer1);
    await producer1.waitFor(() => Number(producer1.last('acked')?.count ?? 0) >= ACKED_BEFORE_DAEMON_KILL, `${ACKED_BEFORE_DAEMON_KILL} acknowledgements`, PRODUCE_WAIT_MS);
    await daemon.kill();
    daemon = await daemon.restart({ config: { listeners: { kafka: { port } } } });
    mark('daemon restarted');
    await producer1.waitForExit(PRODUCE_WAIT_MS);
    assertAllAcknowledged(producer1, phase1.length);
    await application.waitFor(() => processed(application) >= sent.length, `${sent.length} readings processed after the daemon's restart`, APPLICATION_WAIT_MS);
    mark('phase 1 processed');

    // Phase 2: the application dies mid-run and loses its local state.
    const phase2 = makeReadings(sent.length, READINGS_PER_PHASE, base);
    sent.push(...phase2);
    const processedBefore = processed(application);
    const producer2 = programs.start('producer, phase 2', 'produce', [bootstrap, 'readings', String(PRODUCE_RATE_PER_SECOND)], readingLines(phase2));
    running.push(producer2);
    await application.waitFor(() => processed(application) >= processedBefore + PROCESSED_BEFORE_APPLICATION_KILL, `${PROCESSED_BEFORE_APPLICATION_KILL} more readings processed`, APPLICATION_WAIT_MS);
    await application.kill();
    mark('application killed');
    rmSync(join(stateParent, 'first'), { recursive: true, force: true });
    application = startApplication('second instance', join(stateParent, 'second'));
    await producer2.waitForExit(PRODUCE_WAIT_MS);
    assertAllAcknowledged(producer2, phase2.length);
    await application.waitFor(isRunning(application), 'RUNNING state after the restart', APPLICATION_WAIT_MS);
    mark('running again');

    // Phase 3: readings for the same windows, added to the restored aggregates.
    const phase3 = makeReadings(sent.length, READINGS_PER_PHASE, base);
    sent.push(...phase3);
    await produce(programs, bootstrap, 'readings', readingLines(phase3), PRODUCE_RATE_PER_SECOND);
    await waitForEveryReading(programs, bootstrap, isolation, sent, application);
    mark('every reading joined');
    // The JVM exits 143 after its shutdown hook has run on SIGTERM; the "closed" line says the close completed.
    const stopped = await application.stop();
    if (application.last('closed') === undefined) throw new Error(`the second instance did not close cleanly (${stopped.code ?? stopped.signal})\n${application.stderr}`);

    // The store once more from its changelog alone, into an empty state directory.
    const restoredLines = await programs.run('restored', [bootstrap, applicationId, guarantee, join(stateParent, 'restored')]);
    const restored = new Map(restoredLines.filter((line) => line.event === 'window').map((line) => [line.key as string, line.uids as string]));
    mark('restored');

    const [readings, enriched, windows, repartition, everything, described] = await Promise.all([
      programs.dump(bootstrap, 'readings', isolation),
      programs.dump(bootstrap, 'enriched', isolation),
      programs.dump(bootstrap, 'windows', isolation),
      programs.dump(bootstrap, `${applicationId}-by-device-repartition`, isolation),
      programs.dump(bootstrap, 'enriched', 'read_uncommitted'),
      programs.run('describe', [bootstrap, applicationId]),
    ]);
    mark('read');
    const topics: StreamsTopics = { readings, enriched, windows, repartition };
    const internalTopics = described.filter((line) => line.event === 'topic');
    return { applicationId, sent, topics, restored, internalTopics, abortedEnriched: everything.records.length - enriched.records.length, isolation, timeline };
  } finally {
    for (const process of running) await process.kill();
    await daemon.cleanup();
    programs.remove();
    rmSync(stateParent, { recursive: true, force: true });
  }
}

async function produce(programs: StreamsPrograms, bootstrap: string, topic: string, lines: string, ratePerSecond: number): Promise<void> {
  const done = (await programs.run('produce', [bootstrap, topic, String(ratePerSecond)], lines)).find((line) => line.event === 'done');
  const count = lines.split('\n').filter((line) => line !== '').length;
  if (done?.acked !== count) throw new Error(`${topic}: ${String(done?.acked)} of ${count} records acknowledged`);
}

function assertAllAcknowledged(producer: LineProcess, count: number): void {
  const done = producer.last('done');
  const failed = producer.lines.filter((line) => line.event === 'failed').slice(0, 5).map((line) => `${String(line.value)}: ${String(line.error)}`);
  if (done?.acked !== count) throw new Error(`${producer.name}: ${String(done?.acked)} of ${count} readings acknowledged${failed.length > 0 ? `\n${failed.join('\n')}` : ''}\n${producer.stderr}`);
}

/** Reads the joined output until every reading is in it, so that the application is stopped only once it has caught up. */
async function waitForEveryReading(programs: StreamsPrograms, bootstrap: string, isolation: 'read_committed' | 'read_uncommitted', sent: readonly Reading[], application: LineProcess): Promise<void> {
  const deadline = Date.now() + APPLICATION_WAIT_MS;
  for (;;) {
    const present = new Set((await programs.dump(bootstrap, 'enriched', isolation)).records.map((record) => record.value.split(',')[0]));
    const missing = sent.filter((reading) => !present.has(reading.uid)).length;
    if (missing === 0) return;
    const failure = application.last('error');
    if (failure !== undefined) throw new Error(`the application failed: ${String(failure.error)}\n${application.stderr}`);
    if (!application.running || Date.now() > deadline) throw new Error(`${missing} of ${sent.length} readings never reached the enriched topic\n${application.stderr}`);
    // Each read is a JVM start, a few seconds: no pause is needed between them.
  }
}
