// What a connection sends in one turn of the event loop is written into one output
// buffer (grown within the turn, at most 64 KiB a buffer, joined at the end) and leaves
// in one socket write. A burst far larger than one buffer, with a packet larger than the
// largest buffer among them, must arrive whole and in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Harness } from '../harness.ts';

/** Messages queued for the session: 600 KiB, sent in one turn when its client returns. */
const BURST_MESSAGES = 600;
const MESSAGE_BYTES = 1024;
/** One message larger than the largest output buffer (64 KiB), in the middle of the burst. */
const LARGE_INDEX = 300;
const LARGE_BYTES = 200 * 1024;

function payloadOf(index: number): Buffer {
  const size = index === LARGE_INDEX ? LARGE_BYTES : MESSAGE_BYTES;
  const payload = Buffer.alloc(size, index % 251);
  payload.writeUInt32BE(index, 0);
  return payload;
}

let h: Harness;

test.before(async () => {
  h = await Harness.start();
});

test.after(async () => {
  await h.cleanup();
});

test('a session\'s queued burst (600 KiB, one 200 KiB message among them) reaches its returning client whole and in order', async () => {
  const away = await h.client({ clientId: 'burst-subscriber', clean: false });
  await away.subscribeAsync('burst/+', { qos: 1 });
  await away.endAsync();
  const publisher = await h.client({ clientId: 'burst-publisher' });
  // Sent together (one client's publishes keep their order): one at a time would wait for a sync each.
  await Promise.all(Array.from({ length: BURST_MESSAGES }, (_, index) => publisher.publishAsync(`burst/${index % 7}`, payloadOf(index), { qos: 1 })));
  assert.is(h.frontEnd.broker.heldCount('burst-subscriber'), BURST_MESSAGES, 'every message is queued for the session');

  const received: Array<{ topic: string; payload: Buffer }> = [];
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => { resolveAll = resolve; });
  const back = mqtt.connect(h.url, { clientId: 'burst-subscriber', clean: false, reconnectPeriod: 0, protocolVersion: 4 });
  back.on('message', (topic, payload) => {
    received.push({ topic, payload });
    if (received.length === BURST_MESSAGES) resolveAll();
  });
  await all;
  for (let index = 0; index < BURST_MESSAGES; index++) {
    assert.is(received[index]!.topic, `burst/${index % 7}`, `message ${index}: its topic`);
    assert.ok(received[index]!.payload.equals(payloadOf(index)), `message ${index}: its payload, byte for byte`);
  }
  await back.endAsync();
});

test.run();
