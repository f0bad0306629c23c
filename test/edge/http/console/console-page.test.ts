// The web console in a real browser (Debian's headless Chromium driven by playwright-core)
// against a real edge daemon: records produced over Kafka, a consumer group with lag and a
// connected MQTT client must show in the page. A screenshot is kept under test-artifacts/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeCbor, encodeSenmlCbor } from '../../../../shared/payloads.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { kafkajsClient } from '../../kafka/clients/support/kafkajs.ts';
import { requireProgram } from '../../../helpers/system-programs.ts';

/** Debian's Chromium (playwright-core downloads no browser of its own). */
const CHROMIUM = requireProgram('chromium');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = resolve(import.meta.dirname, '../../../../test-artifacts');
/** The page refreshes every 2 s; a value must appear within a few refreshes on a loaded machine. */
const APPEAR_TIMEOUT_MS = 30_000;

let daemon: Daemon;
let browser: Browser;
let page: Page;
let device: mqtt.MqttClient;

test.before(async () => {
  daemon = await Daemon.start();
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
  await producer.disconnect();
  // A group that has read 4 of partition 0's 6 records and none of partition 1: lag 2 + 3.
  await admin.setOffsets({ groupId: 'dashboard', topic: 'readings', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '0' }] });
  await admin.disconnect();
  device = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'greenhouse-7', clean: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
});

test.after(async () => {
  await browser?.close();
  await device?.endAsync();
  await daemon?.cleanup();
});

test('the console lists the topics with their records, the group\'s lag and the MQTT client', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${daemon.ports.http}/`);

  const readings = page.locator('#topics tbody tr[data-topic="readings"]');
  await readings.waitFor({ timeout: APPEAR_TIMEOUT_MS });
  const cells = await readings.locator('td').allTextContents();
  assert.equal(cells.slice(0, 3), ['readings', '2', '9']);
  assert.ok(await page.locator('#topics tbody tr[data-topic="commands"]').count() === 1);

  const group = page.locator('#groups tbody tr', { hasText: 'dashboard' });
  await group.waitFor({ timeout: APPEAR_TIMEOUT_MS });
  const groupCells = await group.locator('td').allTextContents();
  assert.equal(groupCells.slice(0, 4), ['dashboard', 'Empty', '0', '5']);
  assert.is(groupCells[4], 'readings/0: 2, readings/1: 3');

  const client = page.locator('#mqtt-clients tbody tr', { hasText: 'greenhouse-7' });
  await client.waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.match(await client.textContent() ?? '', 'MQTT 3.1.1');

  assert.match(await page.locator('#mirror').textContent() ?? '', 'not configured');
  await page.locator('#throughput-chart svg').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  assert.equal(errors, [], 'no script errors in the page');
});

test('a topic\'s latest records are shown with CBOR and SenML payloads decoded', async () => {
  await page.locator('#topics tbody tr[data-topic="readings"]').click();
  const newest = page.locator('#records tbody tr').first();
  await newest.locator('td.value').waitFor({ timeout: APPEAR_TIMEOUT_MS });
  const cells = await newest.locator('td').allTextContents();
  assert.is(cells[0], '5');
  assert.is(cells[2], 'dev-2');
  assert.is(cells[3], 'senml-cbor');
  assert.equal(JSON.parse(cells[4]!), [{ bn: 'dev-2/', n: 'temp', u: 'Cel', v: 23.5 }]);
  assert.equal(JSON.parse((await page.locator('#records tbody tr').nth(1).locator('td.value').textContent())!), { t: 24, h: 40 });
  assert.is(await page.locator('#partitions tbody tr').count(), 2);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
});

test.run();
