// Two crash windows of the MQTT broker, each shown by SIGKILLing the daemon at its worst
// moment and starting it again on the same data directory:
//
// - a QoS 1 message for a subscriber that is offline, killed right after the publisher got
//   its PUBACK: the PUBACK promised the message, so the offline session must still have it
//   queued after the restart (it is queued before the acknowledgement, not after);
// - clients connected when the daemon dies: their wills are kept, and published once the
//   restart grace runs out (edge/mqtt/broker/wills.ts), except for a client that came back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Daemon } from '../../helpers/daemon.ts';
import { WILL_AFTER_RESTART_GRACE_MS } from '../../../edge/mqtt/broker/wills.ts';

/** Kill-and-restart cycles of the first test: each kill lands at a different moment after a PUBACK. */
const CYCLES = 5;
/** How long a message or a will may take to arrive after it is due: catches a hang, not a speed. */
const ARRIVAL_TIMEOUT_MS = 30_000;
const ANONYMOUS = { mqtt: { authentication: { allowAnonymous: true } } };

function connect(port: number, options: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  // No automatic reconnection: the test decides when a client comes back.
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: ARRIVAL_TIMEOUT_MS, ...options });
}

/** Collects the messages `client` receives, and waits for a given number of them. */
function inbox(client: mqtt.MqttClient): { messages: Array<{ topic: string; payload: string }>; waitFor(count: number, what: string): Promise<void> } {
  const messages: Array<{ topic: string; payload: string }> = [];
  let wake = (): void => {};
  client.on('message', (topic, payload) => { messages.push({ topic, payload: payload.toString() }); wake(); });
  return {
    messages,
    async waitFor(count, what) {
      const deadline = Date.now() + ARRIVAL_TIMEOUT_MS + WILL_AFTER_RESTART_GRACE_MS;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`${what}: ${messages.length} of ${count} messages arrived: ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 500); });
      }
    },
  };
}

test('a QoS 1 message acknowledged to its publisher is still queued for the offline subscriber after a SIGKILL right after the PUBACK', async () => {
  let daemon = await Daemon.start({ config: ANONYMOUS });
  try {
    const subscriber = await connect(daemon.ports.mqtt!, { clientId: 'offline-sub', clean: false });
    await subscriber.subscribeAsync('commands/#', { qos: 1 });
    await subscriber.endAsync();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const publisher = await connect(daemon.ports.mqtt!, { clientId: `pub-${cycle}` });
      await publisher.publishAsync(`commands/valve-${cycle}`, `open-${cycle}`, { qos: 1 });
      // The PUBACK has arrived; the kill follows within the same turn, a little later each cycle.
      if (cycle > 0) await new Promise((resolve) => setTimeout(resolve, cycle * 2));
      await daemon.kill();
      publisher.end(true);
      daemon = await daemon.restart({ config: ANONYMOUS });
    }
    const back = await connect(daemon.ports.mqtt!, { clientId: 'offline-sub', clean: false });
    const received = inbox(back);
    await received.waitFor(CYCLES, 'the messages queued while the subscriber was away');
    assert.equal(received.messages.map((message) => message.payload).sort(), Array.from({ length: CYCLES }, (_, cycle) => `open-${cycle}`).sort());
    await back.endAsync();
  } finally {
    await daemon.cleanup();
  }
});

test('the wills of clients connected at a SIGKILL are published after the restart grace, and not for a client that came back', async () => {
  let daemon = await Daemon.start({ config: ANONYMOUS });
  try {
    const willOf = (name: string): mqtt.IClientOptions['will'] => ({ topic: `status/${name}`, payload: Buffer.from(`${name} lost`), qos: 1, retain: false });
    const watcher = await connect(daemon.ports.mqtt!, { clientId: 'watcher', clean: false });
    await watcher.subscribeAsync('status/#', { qos: 1 });
    await watcher.endAsync();
    const gone = await connect(daemon.ports.mqtt!, { clientId: 'device-gone', clean: false, will: willOf('device-gone') });
    const returning = await connect(daemon.ports.mqtt!, { clientId: 'device-back', clean: false, will: willOf('device-back') });
    await daemon.kill();
    gone.end(true);
    returning.end(true);
    daemon = await daemon.restart({ config: ANONYMOUS });
    // device-back reconnects within the grace (with its will); device-gone never does.
    const back = await connect(daemon.ports.mqtt!, { clientId: 'device-back', clean: false, will: willOf('device-back') });
    const watching = await connect(daemon.ports.mqtt!, { clientId: 'watcher', clean: false });
    const received = inbox(watching);
    await received.waitFor(1, 'the will of the client that did not come back');
    // Both wills were due at the same moment (the grace after the restart): device-back's,
    // had it not been cancelled, would be here by now. A last moment for a stray one:
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(received.messages, [{ topic: 'status/device-gone', payload: 'device-gone lost' }]);
    await Promise.all([back.endAsync(), watching.endAsync()]);
  } finally {
    await daemon.cleanup();
  }
});

test.run();
