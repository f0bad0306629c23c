// MQTT 5 sessions and wills: Session Expiry Interval (as asked, capped, changed at
// DISCONNECT, across a restart, gone once expired), Will Delay Interval (cancelled by a
// reconnect, published when it runs out), DISCONNECT 0x04, session takeover (0x8E) and
// the server shutting down (0x8B).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { Harness } from './harness.ts';
import { V5Client } from './v5-client.ts';

/** Will Delay and Session Expiry in these tests: short, since what is tested is time passing. */
const SHORT_SECONDS = 1;
/** Longer than SHORT_SECONDS, with room for a loaded machine. */
const WAIT_PAST_SHORT_MS = 1_600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('Session Expiry Interval 0 ends the session with the connection; a longer one keeps it, also across a restart, until it expires', async () => {
  let h = await Harness.start();
  const directory = h.directory;
  try {
    const port = () => h.frontEnd.ports.mqtt;
    let { client } = await V5Client.open(port(), { clientId: 's0', properties: { sessionExpiryInterval: 0 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1 }] });
    await client.nextOf('suback');
    client.send({ cmd: 'disconnect' });
    await client.closed;
    ({ client } = await V5Client.open(port(), { clientId: 's0', clean: false }).then((opened) => { assert.is(opened.connack.sessionPresent, false, 'expiry 0: gone'); return opened; }));
    await client.close();

    const kept = await V5Client.open(port(), { clientId: 's1', properties: { sessionExpiryInterval: 3600 } });
    kept.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 1 }] });
    await kept.client.nextOf('suback');
    kept.client.send({ cmd: 'disconnect' });
    await kept.client.closed;
    const short = await V5Client.open(port(), { clientId: 's2', properties: { sessionExpiryInterval: SHORT_SECONDS } });
    short.client.send({ cmd: 'disconnect' });
    await short.client.closed;
    await h.stop();

    h = await Harness.start({ directory });
    await sleep(WAIT_PAST_SHORT_MS);
    const back = await V5Client.open(port(), { clientId: 's1', clean: false, properties: { sessionExpiryInterval: 3600 } });
    assert.is(back.connack.sessionPresent, true, 'the 3600 s session survived the restart');
    assert.equal(h.frontEnd.broker.subscriptionsOf('s1'), ['kept/#']);
    const gone = await V5Client.open(port(), { clientId: 's2', clean: false });
    assert.is(gone.connack.sessionPresent, false, 'the 1 s session expired');
    await Promise.all([back.client.close(), gone.client.close()]);
  } finally {
    await h.stop().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  }
});

test('DISCONNECT may shorten the session to 0 but not lengthen one that was 0 (Protocol Error 0x82) [MQTT-3.14.2-2]', async () => {
  const h = await Harness.start();
  try {
    const port = h.frontEnd.ports.mqtt;
    const { client } = await V5Client.open(port, { clientId: 'd1', properties: { sessionExpiryInterval: 600 } });
    client.send({ cmd: 'disconnect', properties: { sessionExpiryInterval: 0 } });
    await client.closed;
    assert.is((await V5Client.open(port, { clientId: 'd1', clean: false })).connack.sessionPresent, false);
    const { client: zero } = await V5Client.open(port, { clientId: 'd2' });
    zero.send({ cmd: 'disconnect', properties: { sessionExpiryInterval: 600 } });
    const answer = await zero.nextOf('disconnect');
    assert.is(answer?.reasonCode, 0x82);
  } finally {
    await h.cleanup();
  }
});

test('a will with a delay is not sent when the client reconnects within it, and is sent when the delay runs out; DISCONNECT 0x04 sends it at once, 0x00 never', async () => {
  const h = await Harness.start();
  try {
    const port = h.frontEnd.ports.mqtt;
    const watcher = await h.client({ clientId: 'will-watch', protocolVersion: 5 });
    const wills: string[] = [];
    watcher.on('message', (_topic, payload) => wills.push(payload.toString()));
    await watcher.subscribeAsync('wills/#', { qos: 1 });
    const willOf = (name: string, delay: number) => ({ clientId: name, properties: { sessionExpiryInterval: 60 }, will: { topic: `wills/${name}`, payload: Buffer.from(`${name} left`), qos: 1 as const, retain: false, properties: { willDelayInterval: delay } } });

    const comesBack = await V5Client.open(port, willOf('back', SHORT_SECONDS));
    comesBack.client.socket.destroy();
    await comesBack.client.closed;
    const returned = await V5Client.open(port, { clientId: 'back', clean: false, properties: { sessionExpiryInterval: 60 } });
    const staysAway = await V5Client.open(port, willOf('away', SHORT_SECONDS));
    staysAway.client.socket.destroy();
    const withWill = await V5Client.open(port, willOf('asks', 0));
    withWill.client.send({ cmd: 'disconnect', reasonCode: 0x04 });
    const normal = await V5Client.open(port, willOf('normal', 0));
    normal.client.send({ cmd: 'disconnect', reasonCode: 0x00 });
    await sleep(WAIT_PAST_SHORT_MS);
    // A marker published last: every will that is going to arrive has arrived before it.
    const marker = await h.client({ clientId: 'marker', protocolVersion: 5 });
    await marker.publishAsync('wills/marker', 'marker', { qos: 1 });
    while (!wills.includes('marker')) await new Promise((resolve) => watcher.once('message', resolve));
    assert.equal(wills.sort(), ['asks left', 'away left', 'marker']);
    await returned.client.close();
  } finally {
    await h.cleanup();
  }
});

test('a second connection with the same client id takes the session over: the first gets DISCONNECT 0x8E; stopping the broker sends 0x8B', async () => {
  const h = await Harness.start();
  const port = h.frontEnd.ports.mqtt;
  try {
    const first = await V5Client.open(port, { clientId: 'twin' });
    const second = await V5Client.open(port, { clientId: 'twin' });
    assert.is((await first.client.nextOf('disconnect'))?.reasonCode, 0x8e);
    assert.is(await first.client.next(), null, 'then closed');
    await h.frontEnd.broker.close();
    assert.is((await second.client.nextOf('disconnect'))?.reasonCode, 0x8b);
  } finally {
    await h.cleanup();
  }
});

test.run();
