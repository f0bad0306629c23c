// The console and the fleet view in Debian's Chromium against the whole system under load,
// each part started as a user starts it: a central, an edge mirroring to it through the
// fault-injecting link, `tributary fleet`, and `tributary sim` with 1,000 devices whose
// readings two pipelines process. Each page loads within a bound that catches a hang; the
// pipelines' counts move on their page as the readings come; the numbers on the pages
// equal those of the CLI and /metrics; the browser finds a device's record by key and
// decodes it; the pages keep working while the mirror's link is cut. Screenshots of every
// page go to test-artifacts/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { Daemon, metricTotal, metricValue } from '../../../helpers/daemon.ts';
import { runCli } from '../../cli/run-cli.ts';
import { APPEAR_TIMEOUT_MS, launchChromium, screenshot } from './support/browser.ts';

const CLI = resolve(import.meta.dirname, '../../../../bin/tributary.js');
const DEVICES = 1000;
/** Readings per device per second: 200 records/s in all, a steady load for a loaded two-core machine. */
const RATE = 0.2;
/** The longest the devices may publish; the test stops them (SIGINT) once the link is cut. */
const SIM_SECONDS_MAX = 300;
/** A page that has not drawn within this is hung (a loaded machine takes seconds, not tens of them). */
const PAGE_LOAD_MS_MAX = APPEAR_TIMEOUT_MS;
/** A part that has not said it is ready by then is stuck. */
const READY_TIMEOUT_MS = 60_000;
/** Pipelines over the devices' readings: summaries every 10 s, and an alert filter so rare that nothing passes; it commits every 10 minutes, so its lag stays in view once the load stops. */
const PIPELINES = [
  { name: 'sensors-10s', from: 'sensors', decode: 'senml', steps: [{ window: { size: '10s', grace: '2s', aggregate: { temperature: 'round(avg(temperature), 2)', readings: 'count()' } } }], to: 'sensors-10s' },
  { name: 'sensors-hot', from: 'sensors', decode: 'senml', steps: [{ filter: 'temperature > 80' }], to: 'sensors-hot', commitIntervalMs: 600_000 },
];
/** Checks of a settling pipeline, a second apart: the last records of a loaded machine take seconds to be processed and committed. */
const SETTLE_CHECKS_MAX = 120;

interface Part { child: ChildProcess; events: Record<string, unknown>[]; waitFor(match: (event: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>> }

const parts: Part[] = [];

function startPart(args: string[]): Part {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { events.push(JSON.parse(line) as Record<string, unknown>); } catch { return; }
    for (const listener of listeners) listener();
  });
  const part: Part = {
    child,
    events,
    waitFor: (match, what, timeoutMs = READY_TIMEOUT_MS) => new Promise((resolveEvent, reject) => {
      const check = (): void => {
        const found = events.find(match);
        if (found) { clearTimeout(timer); listeners.delete(check); resolveEvent(found); }
      };
      const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`tributary ${args[0]}: no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
      listeners.add(check);
      check();
    }),
  };
  parts.push(part);
  return part;
}

let central: Daemon;
let edge: Daemon;
let browser: Browser;
let page: Page;
let linkControl: string;
let fleetUrl: string;
let sim: Part;
const pageErrors: string[] = [];

test.before(async () => {
  central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, kafka: { autoCreateTopics: true } } });
  const link = startPart(['link', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${central.ports.kafka}`, '--control', '127.0.0.1:0']);
  const listening = await link.waitFor((event) => event.event === 'listening', 'listening line');
  linkControl = `http://${String(listening.control)}`;
  edge = await Daemon.start({ config: {
    node: { id: 'edge-load' },
    topics: { overrides: { sensors: { partitions: 4 } } },
    pipelines: PIPELINES,
    mqtt: { routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }], limits: { maxConnections: 2000 } },
    mirror: {
      target: { bootstrap: [String(listening.listen)], addressMap: { [`127.0.0.1:${central.ports.kafka}`]: String(listening.listen) }, connectTimeoutMs: 2000, requestTimeoutMs: 5000 },
      topics: { include: ['sensors'] },
      link: { retryBackoffMaxMs: 2000 },
      heartbeat: { intervalMs: 1000 },
    },
    log: { level: 'warn' },
  } });
  const fleet = startPart(['fleet', '--bootstrap', `127.0.0.1:${central.ports.kafka}`, '--listen', '127.0.0.1:0']);
  fleetUrl = `http://127.0.0.1:${(((await fleet.waitFor((event) => event.event === 'ready', 'ready line')).ports) as { http: number }).http}`;
  sim = startPart(['sim', '--broker', `mqtt://127.0.0.1:${edge.ports.mqtt}`, '--devices', String(DEVICES), '--rate', String(RATE), '--duration', String(SIM_SECONDS_MAX), '--format', 'senml-cbor', '--seed', '7', '--progress-ms', '2000']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

test.after(async () => {
  await browser?.close();
  for (const part of parts) if (part.child.exitCode === null) part.child.kill('SIGKILL');
  await edge?.cleanup();
  await central?.cleanup();
});

/** Opens a page and waits until it has drawn; returns how long that took. */
async function open(url: string): Promise<number> {
  const started = Date.now();
  await page.goto(url);
  await page.locator('body[data-loaded="true"]').waitFor({ timeout: PAGE_LOAD_MS_MAX });
  return Date.now() - started;
}

const console = (fragment: string): string => `http://127.0.0.1:${edge.ports.http}/#${fragment}`;

test('with 1,000 devices connected every page loads within its bound, and the overview\'s device count is the metric\'s', async () => {
  await sim.waitFor((event) => event.event === 'progress' && Number(event.devicesConnected) === DEVICES, `${DEVICES} devices connected`, 120_000);
  const loads: Record<string, number> = {};
  loads.overview = await open(console('/overview'));
  const connected = page.locator('[data-card="connected"] .big');
  await page.waitForFunction(`document.querySelector('[data-card="connected"] .big')?.textContent === '${DEVICES.toLocaleString('en')}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  assert.is(metricValue(await edge.metrics(), 'tributary_mqtt_connected_clients'), DEVICES);
  assert.is(await connected.textContent(), DEVICES.toLocaleString('en'));
  await page.locator('#throughput-in svg').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  await screenshot(page, 'load-overview');
  for (const [name, fragment] of [['topics', '/topics'], ['topic', '/topics/sensors'], ['groups', '/groups'], ['pipeline', '/pipelines/sensors-10s'], ['mirror', '/mirror'], ['mqtt', '/mqtt'], ['mqtt-client', '/mqtt/dev-00042']] as const) {
    loads[name] = await open(console(fragment));
    await screenshot(page, `load-${name}`);
  }
  const summary = await page.locator('#client-facts').textContent();
  assert.match(summary ?? '', 'connected');
  await open(console('/mqtt'));
  assert.is(await page.locator('#mqtt-clients tbody tr').count(), 50, 'one page of 50, not a thousand rows');
  assert.is(await page.locator('[data-connected]').getAttribute('data-connected'), String(DEVICES));
  // The pipelines' counts move on the page as the readings come, without a reload.
  loads.pipelines = await open(console('/pipelines'));
  const recordsIn = `document.querySelector('#pipelines tr[data-pipeline="sensors-10s"] [data-records-in]')?.getAttribute('data-records-in')`;
  const before = Number(await page.evaluate(recordsIn));
  await page.waitForFunction(`Number(${recordsIn}) > ${before}`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  await screenshot(page, 'load-pipelines');
  loads.fleet = await open(`${fleetUrl}/`);
  await page.locator('#edges tbody tr[data-edge="edge-load"]').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  await screenshot(page, 'load-fleet');
  loads.fleetEdge = await open(`${fleetUrl}/#/edge/edge-load`);
  await page.locator('#software-version').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.not.equal(await page.locator('#config-version').textContent(), 'not reported');
  await screenshot(page, 'load-fleet-edge');
  for (const [name, milliseconds] of Object.entries(loads)) assert.ok(milliseconds < PAGE_LOAD_MS_MAX, `${name} loaded in ${milliseconds} ms`);
  process.stdout.write(`page load times under load (ms): ${JSON.stringify(loads)}\n`);
});

test('the message browser finds a device\'s readings by key and decodes their SenML', async () => {
  await open(console('/topics/sensors'));
  await page.locator('#browse-key').fill('dev-00042');
  await page.locator('#browse-run').click();
  // The page showed the newest records of every device first; the search replaces them.
  await page.waitForFunction(`(() => { const keys = [...document.querySelectorAll('#records tbody tr[data-offset] td.key-cell')].map((cell) => cell.textContent); return keys.length > 0 && keys.every((key) => key === 'dev-00042'); })()`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  const first = page.locator('#records tbody tr[data-offset]').first();
  const keys = await page.locator('#records tbody tr[data-offset] td.key-cell').allTextContents();
  assert.ok(keys.length > 0 && keys.every((key) => key === 'dev-00042'), keys.join(','));
  assert.is(await first.locator('td.format').textContent(), 'senml-cbor');
  const pack = JSON.parse((await first.locator('td.value pre').textContent())!) as { bn?: string }[];
  assert.match(pack[0]!.bn ?? '', 'dev-00042');
  assert.ok(await first.locator('.header-mqtt[data-header="mqtt.topic"]').count() === 1, 'the MQTT topic header is marked');
  await screenshot(page, 'load-browser');
});

test('with the link cut the pages keep working; once the load stops, the backlog on the pages equals the CLI\'s and the metrics\'', async () => {
  assert.is((await fetch(`${linkControl}/cut`, { method: 'POST' })).status, 200);
  await open(console('/overview'));
  await page.waitForFunction(`['connecting', 'down'].includes(document.querySelector('[data-link-state]')?.getAttribute('data-link-state'))`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  await open(console('/mirror'));
  await open(console('/topics/sensors'));
  await open(`${fleetUrl}/`);
  await screenshot(page, 'load-link-cut-fleet');
  assert.is(sim.child.exitCode, null, 'the devices were still publishing when the link was cut');
  // The devices stop; nothing moves while the link stays cut, so every reader sees one backlog.
  const simExited = new Promise<void>((resolveExit) => sim.child.once('exit', () => resolveExit()));
  sim.child.kill('SIGINT');
  await simExited;
  const admin = `http://127.0.0.1:${edge.ports.http}`;
  let settled: number | undefined;
  for (let previous = -1; settled === undefined;) {
    const backlog = ((await (await fetch(`${admin}/api/mirror`)).json()) as { backlogRecords: number }).backlogRecords;
    if (backlog === previous) settled = backlog;
    previous = backlog;
    await new Promise((wait) => setTimeout(wait, 3000));
  }
  assert.ok(settled > 0, 'records wait behind the cut link');
  const cli = JSON.parse((await runCli(['mirror', 'status', '--admin', admin, '--json'])).stdout) as { backlogRecords: number; backlogBytes: number };
  const metrics = await edge.metrics();
  const metricBacklog = metricTotal(metrics, 'tributary_mirror_lag_records', { direction: 'forward' });
  await open(console('/mirror'));
  await page.waitForFunction(`document.querySelector('#mirror-backlog')?.getAttribute('data-records') === '${settled}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  const shown = page.locator('#mirror-backlog');
  assert.equal([Number(await shown.getAttribute('data-records')), cli.backlogRecords, metricBacklog], [settled, settled, settled]);
  assert.is(Number(await shown.getAttribute('data-bytes')), cli.backlogBytes);
  assert.is(Number(await page.locator('#mirror-topics tr[data-topic="sensors"] [data-backlog]').getAttribute('data-backlog')), settled, 'the backlog by topic: all of it in sensors');
  await screenshot(page, 'load-mirror-cut');
  await open(console('/groups/tributary-mirror'));
  await page.waitForFunction(`document.querySelector('[data-total-lag]')?.getAttribute('data-total-lag') === '${settled}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  const topic = JSON.parse((await runCli(['topics', 'describe', '--topic', 'sensors', '--json', '--bootstrap', `127.0.0.1:${edge.ports.kafka}`])).stdout) as { partitions: { logEndOffset: string }[] }[];
  const cliRecords = topic[0]!.partitions.reduce((sum, partition) => sum + Number(partition.logEndOffset), 0);
  await open(console('/topics'));
  const cells = await page.locator('#topics tbody tr[data-topic="sensors"] td').allTextContents();
  assert.is(Number(cells[2]!.replaceAll(',', '')), cliRecords, 'the topic\'s records as `tributary topics describe` counts them');
  assert.is((await fetch(`${linkControl}/restore`, { method: 'POST' })).status, 200);
  assert.equal(pageErrors, [], 'no script errors in any page');
});

interface PipelineStatusJson { name: string; partitions: { partition: number; position: string; committedPosition: string; highWatermark: string; lagRecords: string; openWindows: number }[] }

test('once the load stops, the pipelines\' pages show the counts /metrics exports and the positions and lag of tributary pipelines status, and the reading they could not decode', async () => {
  // One reading that is not SenML, after the devices stopped: each pipeline counts it as an error.
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: 'broken-sensor' });
  await device.publishAsync('sensors/broken-sensor/temperature', 'not senml', { qos: 1 });
  await device.endAsync();
  const admin = `http://127.0.0.1:${edge.ports.http}`;
  // Settled: every reading processed, and every partition's lag the same in the status and in its gauge.
  let status: PipelineStatusJson[] = [];
  let metrics = '';
  for (let check = 0; ; check++) {
    status = (JSON.parse((await runCli(['pipelines', 'status', '--admin', admin, '--json'])).stdout) as { pipelines: PipelineStatusJson[] }).pipelines;
    metrics = await edge.metrics();
    const settled = status.every((pipeline) => pipeline.partitions.every((partition) => partition.position === partition.highWatermark
      && Number(partition.lagRecords) === metricValue(metrics, 'tributary_pipeline_lag_records', { pipeline: pipeline.name, partition: String(partition.partition) })));
    if (settled) break;
    assert.ok(check < SETTLE_CHECKS_MAX, `the pipelines did not settle: ${JSON.stringify(status)}`);
    await new Promise((wait) => setTimeout(wait, 1000));
  }
  const lagOf = (name: string): number => status.find((pipeline) => pipeline.name === name)!.partitions.reduce((sum, partition) => sum + Number(partition.lagRecords), 0);
  assert.ok(lagOf('sensors-hot') > 0, 'the rarely committing pipeline has a lag to compare');
  await open(console('/pipelines'));
  for (const { name } of PIPELINES) {
    const labels = { pipeline: name };
    const expected = {
      'records-in': metricTotal(metrics, 'tributary_pipeline_records_in_total', labels),
      'records-out': metricTotal(metrics, 'tributary_pipeline_records_out_total', labels),
      filtered: metricTotal(metrics, 'tributary_pipeline_records_filtered_total', labels),
      late: metricTotal(metrics, 'tributary_pipeline_records_late_total', labels),
      errors: metricTotal(metrics, 'tributary_pipeline_errors_total', labels),
      lag: lagOf(name),
    };
    assert.is(metricValue(metrics, 'tributary_pipeline_errors_total', { ...labels, kind: 'decode' }), 1, `${name}: the reading that is not SenML`);
    assert.is(expected.lag, metricTotal(metrics, 'tributary_pipeline_lag_records', labels), `${name}: the status's lag is the gauge's`);
    const row = `#pipelines tr[data-pipeline="${name}"]`;
    // The page redraws at the next live update; it then shows the settled numbers.
    await page.waitForFunction(`document.querySelector('${row} [data-records-in]')?.getAttribute('data-records-in') === '${expected['records-in']}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
    const shown: Record<string, number> = {};
    for (const key of Object.keys(expected)) shown[key] = Number(await page.locator(`${row} [data-${key}]`).getAttribute(`data-${key}`));
    assert.equal(shown, expected, name);
  }
  const hot = status.find((pipeline) => pipeline.name === 'sensors-hot')!;
  assert.ok(hot.partitions.every((partition) => partition.committedPosition !== partition.position), 'nothing passed, and nothing was committed since the start');
  await open(console('/pipelines/sensors-hot'));
  await page.locator('#pipeline-problems tbody tr', { hasText: 'not senml' }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  const cells = await page.locator('#pipeline-partitions tbody tr').evaluateAll((rows) => rows.map((row) => [...row.children].slice(0, 6).map((cell) => cell.textContent!.replaceAll(',', ''))));
  assert.equal(cells, hot.partitions.map((partition) => [String(partition.partition), 'running', partition.position, partition.committedPosition, partition.highWatermark, partition.lagRecords]), 'the positions and lag of tributary pipelines status');
  await screenshot(page, 'load-pipeline-settled');
  assert.equal(pageErrors, [], 'no script errors in any page');
});

test('once the devices have left, their kept sessions are listed offline, a page at a time, as many as tributary_mqtt_persistent_sessions counts', async () => {
  const persistent = metricValue(await edge.metrics(), 'tributary_mqtt_persistent_sessions');
  assert.is(persistent, DEVICES, 'every device kept its session (the simulator\'s default)');
  await open(console('/mqtt'));
  await page.locator('#mqtt-state').selectOption('offline');
  await page.waitForFunction(`document.querySelectorAll('#mqtt-clients tbody tr[data-session-state="offline"]').length === 50`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  assert.equal([await page.locator('[data-offline]').getAttribute('data-offline'), await page.locator('[data-connected]').getAttribute('data-connected')], [String(persistent), '0']);
  assert.is(await page.locator('#mqtt-page').textContent(), `page 1 of ${DEVICES / 50}`);
  await page.locator('#mqtt-next').click();
  await page.waitForFunction(`document.querySelector('#mqtt-page')?.textContent === 'page 2 of ${DEVICES / 50}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  // Devices are numbered from dev-00001: the second page of 50 begins at the 51st.
  assert.is(await page.locator('#mqtt-clients tbody tr').first().getAttribute('data-client'), 'dev-00051', 'the second page of sessions, by client id');
  await screenshot(page, 'load-mqtt-offline');
  assert.equal(pageErrors, [], 'no script errors in any page');
});

test.run();
