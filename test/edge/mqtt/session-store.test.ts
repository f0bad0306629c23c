// The MQTT session store against aedes-persistence's own abstract test suite (the
// contract every aedes persistence must meet), plus what that suite cannot check: that
// the state survives closing and reopening the database, as it must across a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import legacyAssert from 'node:assert';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../shared/sqlite.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { SqliteSessionStore, type StoredPacket } from '../../../edge/mqtt/session-store.ts';

const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js') as (options: unknown) => void;

const root = mkdtempSync(join(tmpdir(), 'tributary-'));
let databases = 0;

async function openStore(path = join(root, `mqtt-${databases++}.sqlite`), options: { maxQueuedPerClient?: number; onQueueOverflow?: (clientId: string, packet: StoredPacket) => void } = {}): Promise<SqliteSessionStore> {
  const database = await Database.open(path);
  return SqliteSessionStore.open(database, { logger: silentLogger(), ownsDatabase: true, ...options });
}

// The suite is written for node:test; this gives each of its tests the parts of node:test's
// context it uses (plan, assert, diagnostic) and runs it as a uvu test. node:test's
// t.assert is node:assert in its legacy mode, so that is what the checks use here too.
type AbstractTest = (context: unknown) => Promise<void>;
function nodeTestAdapter(name: string, body: AbstractTest): void {
  test(`aedes-persistence: ${name}`, async () => {
    let planned: number | undefined;
    let count = 0;
    const counted = <F extends (...args: never[]) => unknown>(check: F) => (...args: Parameters<F>) => {
      count++;
      return check(...args);
    };
    const context = {
      plan: (n: number) => { planned = n; },
      diagnostic: () => {},
      assert: {
        equal: counted(legacyAssert.equal),
        notEqual: counted(legacyAssert.notEqual),
        deepEqual: counted(legacyAssert.deepEqual),
        notDeepEqual: counted(legacyAssert.notDeepEqual),
        strictEqual: counted(legacyAssert.strictEqual),
        deepStrictEqual: counted(legacyAssert.deepStrictEqual),
        ok: counted(legacyAssert.ok),
        fail: counted(legacyAssert.fail),
      },
    };
    await body(context);
    if (planned !== undefined) assert.is(count, planned, `planned ${planned} assertions, ran ${count}`);
  });
}

abstractPersistence({
  test: nodeTestAdapter,
  persistence: () => openStore(),
  testAsync: true,
});

const broker = { id: 'broker-1' };
const persistentClient = { id: 'device-1', clean: false };

test('subscriptions, retained messages, queued and in-flight messages and wills survive a reopen', async () => {
  const path = join(root, 'reopen.sqlite');
  const first = await openStore(path);
  await first.setup(broker);
  await first.addSubscriptions(persistentClient, [{ topic: 'commands/device-1', qos: 1 }, { topic: 'status/#', qos: 0 }]);
  await first.storeRetained({ cmd: 'publish', topic: 'status/a', payload: Buffer.from('up'), qos: 0, retain: true });
  await first.outgoingEnqueueCombi([{ clientId: 'device-1' }], { cmd: 'publish', topic: 'commands/device-1', payload: Buffer.from('one'), qos: 1, brokerId: 'broker-1', brokerCounter: 1 });
  await first.outgoingEnqueueCombi([{ clientId: 'device-1' }], { cmd: 'publish', topic: 'commands/device-1', payload: Buffer.from('two'), qos: 1, brokerId: 'broker-1', brokerCounter: 2 });
  // The first one was sent with message id 7.
  await first.outgoingUpdate(persistentClient, { cmd: 'publish', topic: 'commands/device-1', brokerId: 'broker-1', brokerCounter: 1, messageId: 7 });
  await first.incomingStorePacket(persistentClient, { cmd: 'publish', topic: 'up/x', payload: Buffer.from('q2'), qos: 2, messageId: 99 });
  await first.putWill(persistentClient, { topic: 'wills/device-1', payload: Buffer.from('gone'), qos: 1, retain: false });
  await first.destroy();

  const second = await openStore(path);
  await second.setup({ id: 'broker-2' });
  const subscriptions = await second.subscriptionsByClient(persistentClient);
  assert.equal(subscriptions.map((s) => [s.topic, s.qos]), [['commands/device-1', 1], ['status/#', 0]]);
  assert.equal((await second.subscriptionsByTopic('commands/device-1')).map((s) => s.clientId), ['device-1']);
  const retained = await second.createRetainedStream('status/+').toArray();
  assert.is(retained.length, 1);
  assert.is(retained[0].payload.toString(), 'up');
  const queued = await second.outgoingStream(persistentClient).toArray() as StoredPacket[];
  assert.equal(queued.map((p) => [String(p.payload), p.messageId]), [['one', 7], ['two', undefined]]);
  const incoming = await second.incomingGetPacket(persistentClient, { messageId: 99 });
  assert.is(String(incoming.payload), 'q2');
  const wills = await second.streamWill({ 'broker-2': Date.now() }).toArray() as StoredPacket[];
  assert.equal(wills.map((w) => [w.clientId, w.brokerId, w.topic]), [['device-1', 'broker-1', 'wills/device-1']]);

  // Acknowledgements and a PUBREL are progress: committed with the next group.
  const cleared = await second.outgoingClearMessageId(persistentClient, { messageId: 7 });
  assert.is(String(cleared?.payload), 'one');
  await second.incomingDelPacket(persistentClient, { messageId: 99 });
  await second.destroy();

  const third = await openStore(path);
  await third.setup({ id: 'broker-3' });
  const remaining = await third.outgoingStream(persistentClient).toArray() as StoredPacket[];
  assert.equal(remaining.map((p) => String(p.payload)), ['two']);
  try {
    await third.incomingGetPacket(persistentClient, { messageId: 99 });
    assert.unreachable('the QoS 2 packet was released');
  } catch (error) {
    assert.match(String(error), /no QoS 2 packet/);
  }
  await third.destroy();
});

test('a clean session keeps nothing in SQLite', async () => {
  const path = join(root, 'clean.sqlite');
  const first = await openStore(path);
  await first.setup(broker);
  const cleanClient = { id: 'phone', clean: true };
  await first.incomingStorePacket(cleanClient, { cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 2, messageId: 5 });
  assert.ok(await first.incomingGetPacket(cleanClient, { messageId: 5 }));
  await first.destroy();
  const second = await openStore(path);
  await second.setup(broker);
  try {
    await second.incomingGetPacket(cleanClient, { messageId: 5 });
    assert.unreachable('clean session state must not be stored');
  } catch (error) {
    assert.match(String(error), /no QoS 2 packet/);
  }
  await second.destroy();
});

test('a full session queue refuses further messages and reports each one', async () => {
  const overflowed: string[] = [];
  const store = await openStore(undefined, { maxQueuedPerClient: 2, onQueueOverflow: (clientId, packet) => overflowed.push(`${clientId}:${packet.payload}`) });
  await store.setup(broker);
  for (let counter = 1; counter <= 4; counter++) {
    await store.outgoingEnqueueCombi([{ clientId: 'slow' }, { clientId: 'other' }], { cmd: 'publish', topic: 't', payload: Buffer.from(String(counter)), qos: 1, brokerId: 'broker-1', brokerCounter: counter });
    if (counter === 2) await store.outgoingClearMessageId({ id: 'other' }, { messageId: undefined });
  }
  assert.equal(overflowed, ['slow:3', 'other:3', 'slow:4', 'other:4']);
  assert.is(store.queuedCount('slow'), 2);
  // A message refused by a full queue is still delivered live to an online client.
  await store.outgoingUpdate({ id: 'slow', clean: false }, { cmd: 'publish', topic: 't', brokerId: 'broker-1', brokerCounter: 3, messageId: 11 });
  await store.destroy();
});

test('a session reconnecting while commands are published gets each one once, whichever path sends it first', async () => {
  const store = await openStore();
  await store.setup(broker);
  const publish = (counter: number): StoredPacket => ({ cmd: 'publish', topic: 'commands/dev-1', payload: Buffer.from(`c${counter}`), qos: 1, brokerId: broker.id, brokerCounter: counter });
  const read = async (stream: AsyncIterable<unknown>): Promise<string[]> => {
    const payloads: string[] = [];
    for await (const packet of stream) payloads.push(String((packet as StoredPacket).payload));
    return payloads;
  };
  // Queued while the device was away.
  await store.outgoingEnqueueCombi([{ clientId: 'dev-1' }], publish(1));
  await store.outgoingEnqueueCombi([{ clientId: 'dev-1' }], publish(2));
  // An earlier connection was sent c1 and never acknowledged it: the new one gets it again.
  await store.outgoingUpdate({ id: 'dev-1', clean: false, duplicates: {} }, { ...publish(1), messageId: 7 });

  // The new connection: c3 is published as it reconnects, queued, and sent live before
  // the queue is read (aedes's dedupe record, then outgoingUpdate).
  const connection = { id: 'dev-1', clean: false, duplicates: {} as Record<string, number> };
  await store.outgoingEnqueueCombi([{ clientId: 'dev-1' }], publish(3));
  connection.duplicates[broker.id] = 3;
  await store.outgoingUpdate(connection, { ...publish(3), messageId: 1 });
  // c4 is queued too, but the queue is read before the live path reaches it.
  await store.outgoingEnqueueCombi([{ clientId: 'dev-1' }], publish(4));
  assert.equal(await read(store.outgoingStream(connection)), ['c1', 'c2', 'c4'], 'c3 went live already; the unacknowledged c1 is sent again');
  assert.is(connection.duplicates[broker.id], 4, 'aedes\'s live path now skips c4, read from the queue');

  // Without a dedupe record (not an aedes connection) the whole queue is read, as the persistence contract says.
  assert.equal(await read(store.outgoingStream({ id: 'dev-1' })), ['c1', 'c2', 'c3', 'c4']);

  // c1 still carries identifier 7 from the earlier connection. This connection sends c2
  // as 7 and the device acknowledges it: c2 goes, c1 stays until acknowledged here.
  await store.outgoingUpdate(connection, { ...publish(2), messageId: 7 });
  const cleared = await store.outgoingClearMessageId(connection, { messageId: 7 });
  assert.is(String(cleared?.payload), 'c2');
  assert.equal(await read(store.outgoingStream({ id: 'dev-1' })), ['c1', 'c3', 'c4']);
  await store.destroy();
});

test('subscriptions by topic follow the wildcard rules', async () => {
  const store = await openStore();
  await store.setup(broker);
  await store.addSubscriptions({ id: 'a' }, [{ topic: '#', qos: 1 }, { topic: 'sensors/+/temp', qos: 1 }, { topic: 'sensors/#', qos: 2 }, { topic: 'sensors', qos: 1 }]);
  await store.addSubscriptions({ id: 'b' }, [{ topic: '+/+/temp', qos: 1 }, { topic: '$SYS/#', qos: 1 }]);
  const ids = async (topic: string) => (await store.subscriptionsByTopic(topic)).map((s) => `${s.clientId} ${s.topic}`).sort();
  assert.equal(await ids('sensors/d1/temp'), ['a #', 'a sensors/#', 'a sensors/+/temp', 'b +/+/temp']);
  // [MQTT-4.7.1-2] "sensors/#" matches "sensors" itself.
  assert.equal(await ids('sensors'), ['a #', 'a sensors', 'a sensors/#']);
  // [MQTT-4.7.2-1] Wildcards at the first level do not match topics starting with '$'.
  assert.equal(await ids('$SYS/broker/x'), ['b $SYS/#']);
  await store.destroy();
});

test.after(() => {
  rmSync(root, { recursive: true, force: true });
});

test.run();
