// The web console in a real browser (Debian's headless Chromium driven by playwright-core)
// against a real edge daemon: records produced over Kafka, a consumer group with lag, a
// connected MQTT client and a pipeline's counts must show on their pages, the pipeline's
// as they change; the message browser finds a record by key and decodes it. Screenshots
// are kept under test-artifacts/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { encodeCbor, encodeSenmlCbor } from '../../../../shared/payloads.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { kafkajsClient } from '../../kafka/clients/support/kafkajs.ts';
import { waitForCommitted } from '../../pipelines/support.ts';
import { BOILER_COUNTS, BOILER_LATER_READING, BOILER_PIPELINE, BOILER_PROBLEM, BOILER_READINGS } from './support/boiler-pipeline.ts';
import { launchChromium, screenshot, APPEAR_TIMEOUT_MS } from './support/browser.ts';

let daemon: Daemon;
let browser: Browser;
let page: Page;
let device: mqtt.MqttClient;
const errors: string[] = [];

test.before(async () => {
  daemon = await Daemon.start({ config: { pipelines: [BOILER_PIPELINE] } });
  const kafka = kafkajsClient(daemon.ports.kafka!, 'console-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'readings', numPartitions: 2 }, { topic: 'commands', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'readings',
    messages: [
      ...Array.from({ length: 5 }, (_, index) => ({ partition: 0, key: 'dev-1', value: encodeCbor({ t: 20 + index, h: 40 }) })),
      { partition: 0, key: 'dev-2', value: encodeSenmlCbor([{ bn: 'dev-2/', n: 'temp', u: 'Cel', v: 23.5 }]) },
      ...Array.from({ length: 3 }, (_, index) => ({ partition: 1, key: 'dev-3', value: encodeCbor({ t: 30 + index }) })),
    ],
  });
  await producer.send({ topic: BOILER_PIPELINE.from, acks: -1, messages: BOILER_READINGS });
  await producer.disconnect();
  // A group that has read 4 of partition 0's 6 records and none of partition 1: lag 2 + 3.
  await admin.setOffsets({ groupId: 'dashboard', topic: 'readings', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '0' }] });
  await admin.disconnect();
  device = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'greenhouse-7', clean: true });
  await device.subscribeAsync('commands/greenhouse-7', { qos: 1 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (error) => errors.push(error.message));
});

test.after(async () => {
  await browser?.close();
  await device?.endAsync();
  await daemon?.cleanup();
});

const open = async (fragment: string): Promise<void> => {
  await page.goto(`http://127.0.0.1:${daemon.ports.http}/#${fragment}`);
  await page.locator('body[data-loaded="true"]').waitFor({ timeout: APPEAR_TIMEOUT_MS });
};

test('the overview shows health, throughput, disk, the mirror and connected devices', async () => {
  await open('/overview');
  assert.match(await page.locator('[data-card="health"]').textContent() ?? '', 'ok');
  assert.match(await page.locator('[data-card="connected"] .big').textContent() ?? '', '1');
  assert.match(await page.locator('[data-card="mirror"]').textContent() ?? '', 'not running');
  await page.locator('#throughput-in svg').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  await screenshot(page, 'console-overview');
});

test('topics list their records; a topic page has its partitions and browses by key, decoding CBOR and SenML', async () => {
  await open('/topics');
  const readings = page.locator('#topics tbody tr[data-topic="readings"]');
  assert.equal((await readings.locator('td').allTextContents()).slice(0, 3), ['readings', '2', '9']);
  await readings.locator('a').click();
  await page.locator('#partitions tbody tr').nth(1).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.match(await page.locator('#topic-facts').textContent() ?? '', 'delete');
  await page.locator('#browse-key').fill('dev-2');
  await page.locator('#browse-run').click();
  // The page shows the newest records as it opens; the filtered answer replaces them.
  await page.locator('#browse-info', { hasText: '1 record shown' }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  const row = page.locator('#records tbody tr[data-offset="5"]');
  assert.is(await page.locator('#records tbody tr').count(), 1, 'only the record with that key');
  assert.is(await row.locator('td.format').textContent(), 'senml-cbor');
  assert.equal(JSON.parse((await row.locator('td.value pre').textContent())!), [{ bn: 'dev-2/', n: 'temp', u: 'Cel', v: 23.5 }]);
  await screenshot(page, 'console-topic');
});

test('the group page shows lag per partition; the MQTT pages find a client and show its session', async () => {
  await open('/groups/dashboard');
  await page.locator('#group-partitions tbody tr').nth(1).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.is(await page.locator('[data-total-lag]').textContent(), '5');
  assert.equal(await page.locator('#group-partitions tbody tr').evaluateAll((rows) => rows.map((row) => row.children[4]!.textContent)), ['2', '3']);
  await open('/mqtt');
  await page.locator('#mqtt-search').fill('GREEN');
  await page.locator('#mqtt-clients tbody tr', { hasText: 'greenhouse-7' }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  await page.locator('#mqtt-clients a', { hasText: 'greenhouse-7' }).click();
  await page.locator('#client-subscriptions tbody tr', { hasText: 'commands/greenhouse-7' }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.match(await page.locator('#client-facts').textContent() ?? '', 'MQTT 3.1.1');
  assert.equal(errors, [], 'no script errors in the page');
});

test('the MQTT clients page lists, on request, the sessions kept for clients that left, and opens one', async () => {
  const away = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'greenhouse-8', clean: false });
  await away.subscribeAsync('commands/greenhouse-8', { qos: 1 });
  await away.endAsync();
  await open('/mqtt');
  // The broker notices the client leave a moment after it closed its end; the page shows it at its next update.
  await page.waitForFunction(`document.querySelector('[data-offline]')?.getAttribute('data-offline') === '1'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  assert.is(await page.locator('#mqtt-clients tbody tr[data-client="greenhouse-8"]').count(), 0, 'the connected clients first');
  await page.locator('#mqtt-state').selectOption('offline');
  const row = page.locator('#mqtt-clients tbody tr[data-client="greenhouse-8"]');
  await row.waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.equal(await page.locator('#mqtt-clients tbody tr').evaluateAll((rows) => rows.map((tableRow) => tableRow.getAttribute('data-session-state'))), ['offline']);
  await page.locator('#mqtt-state').selectOption('all');
  await page.locator('#mqtt-clients tbody tr[data-client="greenhouse-7"]').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.equal(await page.locator('#mqtt-clients tbody tr').evaluateAll((rows) => rows.map((tableRow) => [tableRow.getAttribute('data-client'), tableRow.getAttribute('data-session-state')])), [['greenhouse-7', 'connected'], ['greenhouse-8', 'offline']]);
  await screenshot(page, 'console-mqtt-all');
  await page.locator('#mqtt-clients a', { hasText: 'greenhouse-8' }).click();
  await page.locator('#client-subscriptions tbody tr', { hasText: 'commands/greenhouse-8' }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.is(await page.locator('#client-session').textContent(), 'offline');
  assert.match(await page.locator('#client-facts').textContent() ?? '', 'Offline since');
  assert.equal(errors, [], 'no script errors in the page');
});

test('the pipelines page lists a pipeline\'s counts and follows them live; its page shows its steps, windows against the limit, positions and the undecodable reading', async () => {
  await waitForCommitted(daemon, BOILER_PIPELINE.name, [BigInt(BOILER_READINGS.length)]);
  await open('/pipelines');
  const row = page.locator('#pipelines tbody tr[data-pipeline="boiler-alerts"]');
  const counts = async (): Promise<number[]> => Promise.all(['records-in', 'records-out', 'filtered', 'late', 'errors', 'lag'].map(async (name) => Number(await row.locator(`[data-${name}]`).getAttribute(`data-${name}`))));
  assert.equal(await counts(), [BOILER_COUNTS.recordsIn, BOILER_COUNTS.recordsOut, BOILER_COUNTS.filtered, BOILER_COUNTS.late, BOILER_COUNTS.errors, 0]);
  assert.is(await row.locator('[data-state]').textContent(), 'running');
  assert.match(await row.textContent() ?? '', 'boilers → boiler-alerts');
  // Live: one more reading shows without a reload, at the next update of the page.
  const producer = kafkajsClient(daemon.ports.kafka!, 'console-test-later').producer();
  await producer.connect();
  await producer.send({ topic: BOILER_PIPELINE.from, acks: -1, messages: [BOILER_LATER_READING] });
  await producer.disconnect();
  await page.waitForFunction(`document.querySelector('#pipelines tr[data-pipeline="boiler-alerts"] [data-records-in]')?.getAttribute('data-records-in') === '${BOILER_COUNTS.recordsIn + 1}'`, undefined, { timeout: APPEAR_TIMEOUT_MS });
  await screenshot(page, 'console-pipelines');
  await row.locator('a[href="#/pipelines/boiler-alerts"]').click();
  await page.locator('#pipeline-problems tbody tr', { hasText: BOILER_PROBLEM.message }).waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.equal(await page.locator('#pipeline-steps tbody tr').evaluateAll((rows) => rows.map((tableRow) => tableRow.children[1]!.textContent)), ['filter', 'window']);
  assert.match(await page.locator('#pipeline-steps').textContent() ?? '', 'keeps records where temp > 80');
  const partition = page.locator('#pipeline-partitions tbody tr[data-partition="0"]');
  assert.match(await partition.textContent() ?? '', `${BOILER_COUNTS.openWindows} of 1,000`);
  assert.match(await page.locator('#pipeline-limits').textContent() ?? '', '1,000 per window step');
  assert.is(await page.locator('#pipeline-problems tbody tr td').nth(3).textContent(), BOILER_PROBLEM.offset);
  assert.is(await page.locator('#pipeline-counters [data-records-in]').getAttribute('data-records-in'), String(BOILER_COUNTS.recordsIn + 1));
  await screenshot(page, 'console-pipeline');
  assert.equal(errors, [], 'no script errors in the page');
});

test.run();
