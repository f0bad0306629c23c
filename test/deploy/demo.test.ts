// `npm run demo` with a small fleet and its timings shortened: everything starts, records
// go from simulated devices through the edges and their fault-injecting links to the
// central, the consoles answer; the scripted outage cuts both uplinks, and once they are
// back the summaries reach the central before the raw backlog has crossed, as the central
// itself shows and the demo says; one SIGINT (Ctrl-C) stops every part and removes the
// demo's files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { kafkajsClient } from '../edge/kafka/clients/support/kafkajs.ts';

const DEMO = resolve(import.meta.dirname, '../../scripts/demo.ts');
/**
 * The demo, shortened: summaries every 5 s; the uplinks cut 10 s after the start, for 30 s.
 * 40 devices at 5 readings a second leave each edge about 3,000 raw readings (a dozen of
 * the demo's 64 KiB batches) and about 120 summaries to send when its uplink comes back: on
 * edge-1's 32 KiB/s link the raw backlog then takes seconds to cross.
 */
const DEMO_ARGUMENTS = ['--devices', '40', '--rate', '5', '--calm', '--json', '--summary-seconds', '5', '--outage-at', '10', '--outage-for', '30'];
/** Three daemons, two links and two simulators start on a loaded machine. */
const READY_TIMEOUT_MS = 120_000;
/** The mirror's first delivery follows its first connection through the link. */
const DELIVERY_TIMEOUT_MS = 60_000;
const DELIVERY_POLL_MS = 250;
/** The outage starts 10 s after ready and lasts 30 s; a bound that catches a demo that never scripts it. */
const OUTAGE_EVENT_TIMEOUT_MS = 120_000;
/** How often the central's log ends are read while the backlogs cross: fine enough to tell which topic completed first. */
const CENTRAL_POLL_MS = 100;
/** Longest wait for the raw backlog to cross after the uplink is back; it takes seconds, this catches a hang. */
const DRAIN_TIMEOUT_MS = 180_000;

interface Ready {
  event: 'ready';
  central: { kafka: string; health: string };
  edges: { id: string; console: string; kafka: string; centralTopics: { summaries: string; raw: string } }[];
  fleet: string | null;
  summaries: { topic: string; windowSeconds: number; priority: number };
  outage: { atSeconds: number; forSeconds: number } | null;
  directory: string;
}

type DemoEvent = { event: string; edge?: string; kind?: string; otherWaiting?: number; records?: number; afterMs?: number };

let child: ChildProcess;
let exited: Promise<number | null>;
let stderr = '';
let ready: Ready;
const events: DemoEvent[] = [];
const eventListeners = new Set<() => void>();

/** The first demo event `match` accepts, once it has been printed. */
function demoEvent(match: (event: DemoEvent) => boolean, what: string, timeoutMs: number): Promise<DemoEvent> {
  return new Promise((resolveEvent, reject) => {
    const check = (): void => {
      const found = events.find(match);
      if (!found) return;
      clearTimeout(timer);
      eventListeners.delete(check);
      resolveEvent(found);
    };
    const timer = setTimeout(() => { eventListeners.delete(check); reject(new Error(`the demo did not report ${what} within ${timeoutMs} ms\n${stderr}`)); }, timeoutMs);
    eventListeners.add(check);
    check();
  });
}

const portOf = (address: string): number => Number(address.split(':').at(-1));

test.before(async () => {
  child = spawn(process.execPath, [DEMO, ...DEMO_ARGUMENTS], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as DemoEvent);
    for (const listener of eventListeners) listener();
  });
  const failed = exited.then((code) => { throw new Error(`demo exited (${code}) before ready\n${stderr}`); });
  ready = await Promise.race([demoEvent((event) => event.event === 'ready', 'ready', READY_TIMEOUT_MS), failed]) as unknown as Ready;
  failed.catch(() => undefined);
});

test.after(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    await exited;
  }
  // A demo that failed keeps its files for the logs and names the directory.
  const kept = /data and logs kept in (\S+)/.exec(stderr)?.[1];
  if (kept) rmSync(kept, { recursive: true, force: true });
});

test('the demo starts, its consoles and fleet view answer, and it mirrors device readings to the central', async () => {
  assert.equal(ready.edges.map((edge) => edge.id), ['edge-1', 'edge-2']);
  assert.equal(ready.summaries, { topic: 'sensors-5s', windowSeconds: 5, priority: 9 });
  assert.equal(ready.outage, { atSeconds: 10, forSeconds: 30 });
  assert.is((await fetch(ready.central.health)).status, 200);
  assert.ok(ready.fleet, 'the fleet view runs');
  assert.is((await fetch(ready.fleet)).status, 200);
  for (const edge of ready.edges) {
    const page = await fetch(edge.console);
    assert.is(page.status, 200, edge.console);
    assert.match(await page.text(), '<title>Tributary console</title>');
  }
  // Both mirrors deliver through their links.
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (const edge of ready.edges) {
    for (;;) {
      const mirror = await (await fetch(new URL('/api/mirror', edge.console))).json() as { deliveredRecordsTotal?: number };
      if ((mirror.deliveredRecordsTotal ?? 0) > 0) break;
      assert.ok(Date.now() < deadline, `${edge.id}'s mirror delivered nothing within ${DELIVERY_TIMEOUT_MS} ms`);
      await delay(DELIVERY_POLL_MS);
    }
  }
  assert.ok(existsSync(ready.directory));
});

test('after the scripted outage, edge-1\'s summaries are all at the central while its raw backlog is still crossing', async () => {
  const edge = ready.edges.find((entry) => entry.id === 'edge-1')!;
  const central = kafkajsClient(portOf(ready.central.kafka), 'demo-test-central').admin();
  const local = kafkajsClient(portOf(edge.kafka), 'demo-test-edge').admin();
  await central.connect();
  await local.connect();
  try {
    const total = async (admin: typeof central, topic: string): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
    await demoEvent((event) => event.event === 'outage-started', 'the outage', OUTAGE_EVENT_TIMEOUT_MS);
    // The central's side, sampled from the cut until the raw backlog has crossed.
    const samples: { atMs: number; summaries: number; raw: number }[] = [];
    let restoredAtMs: number | undefined;
    let waiting: { summaries: number; raw: number } | undefined;
    const deadline = Date.now() + OUTAGE_EVENT_TIMEOUT_MS + DRAIN_TIMEOUT_MS;
    for (;;) {
      const [summaries, raw] = await Promise.all([total(central, edge.centralTopics.summaries), total(central, edge.centralTopics.raw)]);
      samples.push({ atMs: Date.now(), summaries, raw });
      if (restoredAtMs === undefined && events.some((event) => event.event === 'uplink-restored' && event.edge === edge.id)) {
        restoredAtMs = Date.now();
        // What the edge holds once its uplink is back: all of it has to reach the central.
        waiting = { summaries: await total(local, ready.summaries.topic), raw: await total(local, 'sensors') };
        const last = samples.at(-1)!;
        assert.ok(last.summaries < waiting.summaries, `summaries waited behind the cut: ${last.summaries} at the central, ${waiting.summaries} at the edge`);
        assert.ok(last.raw < waiting.raw, `raw readings waited behind the cut: ${last.raw} at the central, ${waiting.raw} at the edge`);
      }
      if (waiting !== undefined && raw >= waiting.raw) break;
      assert.ok(Date.now() < deadline, `the raw backlog did not cross: ${JSON.stringify(samples.at(-1))} of ${JSON.stringify(waiting)}`);
      await delay(CENTRAL_POLL_MS);
    }
    const afterRestore = samples.filter((sample) => sample.atMs >= restoredAtMs!);
    const summariesDone = afterRestore.find((sample) => sample.summaries >= waiting!.summaries);
    const rawDone = afterRestore.find((sample) => sample.raw >= waiting!.raw)!;
    assert.ok(summariesDone, 'the summaries reached the central');
    process.stdout.write(`${edge.id} after its uplink came back: ${waiting!.summaries} summaries complete at the central after ${summariesDone.atMs - restoredAtMs!} ms, with ${waiting!.raw - summariesDone.raw} raw readings still to cross; the raw backlog complete after ${rawDone.atMs - restoredAtMs!} ms\n`);
    assert.ok(summariesDone.raw < waiting!.raw, `the raw backlog had crossed when the summaries were complete (${summariesDone.raw} of ${waiting!.raw})`);
    assert.ok(summariesDone.atMs < rawDone.atMs);
    // The demo says so too, in this order.
    await demoEvent((event) => event.event === 'caught-up' && event.edge === edge.id && event.kind === 'raw', 'the raw backlog\'s arrival', DRAIN_TIMEOUT_MS);
    const told = events.filter((event) => event.event === 'caught-up' && event.edge === edge.id);
    assert.equal(told.map((event) => event.kind), ['summaries', 'raw']);
    assert.ok(told[0]!.otherWaiting! > 0, `the demo told the summaries' arrival with raw readings still waiting: ${JSON.stringify(told[0])}`);
  } finally {
    await central.disconnect();
    await local.disconnect();
  }
});

test('one SIGINT stops every part and removes the demo\'s files', async () => {
  child.kill('SIGINT');
  assert.is(await exited, 0, stderr);
  assert.not.ok(existsSync(ready.directory), 'the demo removes its files');
  for (const url of [ready.central.health, ...ready.edges.map((edge) => edge.console), ...(ready.fleet ? [ready.fleet] : [])]) {
    assert.is(await fetch(url).then(() => 'answered', () => 'refused'), 'refused', `${url} is stopped`);
  }
});

test.run();
