// The MQTT session store's contract: every obligation it accepts is committed when its
// promise resolves, so it is there after the database is closed and opened again (a
// restart); progress is committed with the next group; a session's removal takes all
// its rows; and the tables written by the aedes-based broker (schema 1) are read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encoder } from 'cbor-x';
import { Database } from '../../../../shared/sqlite.ts';
import { silentLogger } from '../../../../shared/logger.ts';
import { isTributaryError } from '../../../../shared/errors.ts';
import { SessionStore } from '../../../../edge/mqtt/store/session-store.ts';
import { SCHEMA_VERSION } from '../../../../edge/mqtt/store/schema.ts';
import type { Message } from '../../../../edge/mqtt/message.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-'));
let databases = 0;

async function open(path: string) {
  return SessionStore.open(await Database.open(path), { logger: silentLogger(), ownsDatabase: true });
}

const message: Message = {
  topic: 'sensors/a',
  payload: Buffer.from('21.5'),
  qos: 1,
  retain: false,
  properties: { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), userProperties: [['b', '1'], ['a', '2'], ['b', '3']] },
  expiresAtMs: 1_900_000_000_000,
  publisherId: 'device-1',
};

test.after(() => rmSync(root, { recursive: true, force: true }));

test('what a session holds survives closing and reopening the database, properties and order kept', async () => {
  const path = join(root, `store-${databases++}.sqlite`);
  const { store } = await open(path);
  await store.sessions.put('dev-1', 3600);
  await store.subscriptions.put('dev-1', 'commands/dev-1', { qos: 1, nl: true, subscriptionIdentifier: 7 });
  await store.subscriptions.put('dev-1', '$share/workers/jobs/#', { qos: 2 });
  const first = store.nextSequence();
  const second = store.nextSequence();
  await store.outgoing.add('dev-1', first, { topic: 'x', payload: Buffer.from('one'), qos: 1 });
  await store.outgoing.add('dev-1', second, { topic: 'y', payload: Buffer.from('two'), qos: 2 });
  // Progress: a packet identifier assigned, then PUBREC received for the second.
  store.outgoing.update('dev-1', second, { topic: 'y', payload: Buffer.from('two'), qos: 2, messageId: 9, cmd: 'pubrel' });
  await store.incoming.put('dev-1', 4);
  await store.retained.put({ ...message, retain: true });
  await store.wills.put({ clientId: 'dev-1', message: { ...message, topic: 'status/dev-1' }, delaySeconds: 30, expirySeconds: 60 });
  store.sessions.left('dev-1', 3600, 1_800_000_000_000);
  await store.close();

  const { store: again, state } = await open(path);
  try {
    assert.equal(state.sessions, [{ clientId: 'dev-1', expirySeconds: 3600, disconnectedAtMs: 1_800_000_000_000 }]);
    assert.equal(state.subscriptions.map((row) => [row.filter, row.options]), [['commands/dev-1', { qos: 1, nl: true, subscriptionIdentifier: 7 }], ['$share/workers/jobs/#', { qos: 2 }]]);
    assert.equal(state.outgoing.map((row) => [row.sequence, row.fields.topic, row.fields.messageId, row.fields.cmd]), [[first, 'x', undefined, undefined], [second, 'y', 9, 'pubrel']]);
    assert.equal(state.incoming, [{ clientId: 'dev-1', packetId: 4 }]);
    const [retained] = state.retained;
    assert.equal(retained!.properties, message.properties, 'properties, user properties in order');
    assert.is(retained!.expiresAtMs, message.expiresAtMs);
    assert.is(retained!.payload.toString(), '21.5');
    assert.equal(state.wills.map((will) => [will.clientId, will.message.topic, will.delaySeconds, will.expirySeconds]), [['dev-1', 'status/dev-1', 30, 60]]);
    // Sequences go on increasing after a restart.
    assert.ok(again.nextSequence() > second);
  } finally {
    await again.close();
  }
});

test('deleting a session removes its subscriptions, queue, QoS 2 identifiers and row, and no other session\'s', async () => {
  const path = join(root, `store-${databases++}.sqlite`);
  const { store } = await open(path);
  for (const clientId of ['gone', 'kept']) {
    await store.sessions.put(clientId, 60);
    await store.subscriptions.put(clientId, 'a/#', { qos: 1 });
    await store.outgoing.add(clientId, store.nextSequence(), { topic: 'a/b', payload: Buffer.from('p'), qos: 1 });
    await store.incoming.put(clientId, 1);
  }
  await store.deleteSession('gone');
  await store.close();
  const { store: again, state } = await open(path);
  await again.close();
  for (const rows of [state.sessions, state.subscriptions, state.outgoing, state.incoming]) {
    assert.equal(rows.map((row) => row.clientId), ['kept']);
  }
});

test('tables written by the aedes-based broker (schema 1) are read: sessions never expire, a QoS 2 message awaiting PUBREL is kept for delivery', async () => {
  const path = join(root, `store-${databases++}.sqlite`);
  const database = await Database.open(path);
  const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
  await database.exec(`
    CREATE TABLE mqtt_retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL);
    CREATE TABLE mqtt_subscriptions (client_id TEXT NOT NULL, filter TEXT NOT NULL, options BLOB NOT NULL, PRIMARY KEY (client_id, filter));
    CREATE TABLE mqtt_sessions (client_id TEXT PRIMARY KEY);
    CREATE TABLE mqtt_outgoing (client_id TEXT NOT NULL, sequence INTEGER NOT NULL, packet BLOB NOT NULL, PRIMARY KEY (client_id, sequence));
    CREATE TABLE mqtt_incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL, PRIMARY KEY (client_id, message_id));
    CREATE TABLE mqtt_wills (client_id TEXT PRIMARY KEY, packet BLOB NOT NULL);
    PRAGMA user_version = 1;`);
  const aedesPacket = (fields: Record<string, unknown>) => cbor.encode({ cmd: 'publish', brokerId: 'b1', brokerCounter: 3, qos: 1, retain: false, dup: false, ...fields });
  await database.run('INSERT INTO mqtt_subscriptions VALUES (?, ?, ?)', ['old-device', 'commands/old-device', cbor.encode({ qos: 1 })]);
  await database.run('INSERT INTO mqtt_outgoing VALUES (?, ?, ?)', ['old-device', 12, aedesPacket({ topic: 'commands/old-device', payload: Buffer.from('reboot'), messageId: 5 })]);
  await database.run('INSERT INTO mqtt_incoming VALUES (?, ?, ?)', ['old-device', 8, aedesPacket({ topic: 'sensors/x', payload: Buffer.from('q2'), qos: 2, messageId: 8 })]);
  await database.run('INSERT INTO mqtt_retained VALUES (?, ?)', ['status/x', aedesPacket({ topic: 'status/x', payload: Buffer.from('on'), retain: true })]);
  await database.run('INSERT INTO mqtt_wills VALUES (?, ?)', ['old-device', aedesPacket({ topic: 'wills/old-device', payload: Buffer.from('gone'), clientId: 'old-device' })]);
  await database.close();

  const { store, state } = await open(path);
  await store.close();
  assert.equal(state.subscriptions.map((row) => [row.clientId, row.filter, row.options.qos]), [['old-device', 'commands/old-device', 1]]);
  assert.equal(state.outgoing.map((row) => [row.sequence, row.fields.topic, Buffer.from(row.fields.payload as Buffer).toString(), row.fields.messageId]), [[12, 'commands/old-device', 'reboot', 5]]);
  assert.is(state.incoming[0]!.undelivered?.payload.toString(), 'q2');
  assert.equal(state.retained.map((retained) => [retained.topic, retained.payload.toString()]), [['status/x', 'on']]);
  assert.equal(state.wills.map((will) => [will.clientId, will.message.topic, will.delaySeconds]), [['old-device', 'wills/old-device', 0]]);
  const upgraded = await Database.open(path);
  assert.is((await upgraded.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, SCHEMA_VERSION);
  await upgraded.close();
});

test('a database written by a newer version is refused with MQTT_SESSION_STORE_UNSUPPORTED, naming the file', async () => {
  const path = join(root, `store-${databases++}.sqlite`);
  const database = await Database.open(path);
  await database.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  try {
    await SessionStore.open(database, { logger: silentLogger() });
    assert.unreachable('opened');
  } catch (error) {
    assert.ok(isTributaryError(error, 'MQTT_SESSION_STORE_UNSUPPORTED'), String(error));
    assert.match((error as Error).message, path);
  } finally {
    await database.close();
  }
});

test('closing twice is a stable error, not a silent second close', async () => {
  const { store } = await open(join(root, `store-${databases++}.sqlite`));
  await store.close();
  try {
    await store.close();
    assert.unreachable('closed twice');
  } catch (error) {
    assert.ok(isTributaryError(error, 'MQTT_SESSION_STORE_CLOSED'));
  }
});

test.run();
