// The SQLite workload, run as its own process under strace (strace-recorder.ts):
//
//   node workload-process.ts DATA_DIR MARKER_FILE ROUNDS
//
// The real stores on their real databases: the topic catalog (meta/topics.sqlite) creates,
// grows and deletes topics, the group coordinator's OffsetStore
// (meta/groups.sqlite) commits consumer-group offsets, and the MQTT SessionStore
// (meta/mqtt.sqlite) saves persistent sessions, subscriptions, QoS 2 packet identifiers
// answered with PUBREC, and messages held for delivery with their QoS 1/2 progress. Every
// change is written to MARKER_FILE as a line (facts.ts) before the store is called and
// again when its promise resolves, with one write(2) each from this thread, so that the
// trace orders each acknowledgement exactly against SQLite's own syscalls.
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { OffsetStore } from '../../../edge/kafka/groups/offset-store.ts';
import { TopicCatalog } from '../../../edge/storage/topic-catalog.ts';
import { SessionStore } from '../../../edge/mqtt/store/session-store.ts';
import type { StoredFields } from '../../../edge/mqtt/store/message-codec.ts';
import { Database } from '../../../shared/sqlite.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { incomingKey, offsetKey, outgoingKey, outgoingValue, sessionKey, subscriptionKey, topicKey, topicValue, type Fact, type StoreName, type WorkloadMarker } from './facts.ts';

/** Consumer groups committing each round, and the partitions each commits. */
const GROUPS = ['billing', 'dashboard'];
const PARTITIONS = [0, 1, 2];
/** Persistent MQTT sessions kept through the whole workload. */
const CLIENTS = ['meter-1', 'meter-2'];
/**
 * The round after which the daemon restarts: early, so that a long run (--rounds 300) writes
 * past SQLite's automatic checkpoint (1,000 WAL pages) in one WAL and so starts it over.
 */
const RESTART_ROUND = 4;
/** The Session Expiry Interval the sessions ask for (MQTT 5): a day. */
const SESSION_EXPIRY_SECONDS = 86_400;

const [dataDir, markerPath, roundsArgument] = process.argv.slice(2);
if (dataDir === undefined || markerPath === undefined || roundsArgument === undefined) throw new Error('usage: workload-process.ts DATA_DIR MARKER_FILE ROUNDS');
const rounds = Number(roundsArgument);
const markers = openSync(markerPath, 'w');
let nextId = 1;

function mark(marker: WorkloadMarker): void {
  writeSync(markers, `${JSON.stringify(marker)}\n`);
}

/** Asks a store for a change: marked before the call, and again when its promise resolves, if it is one that waits for its commit. */
async function change(store: StoreName, facts: Fact[], call: () => Promise<void> | void): Promise<void> {
  const id = nextId++;
  mark({ phase: 'submitted', id, store, facts });
  const result = call();
  if (result === undefined) return;
  await result;
  mark({ phase: 'acknowledged', id });
}

async function openStores(): Promise<{ topics: TopicCatalog; offsets: OffsetStore; mqtt: SessionStore }> {
  const topics = await TopicCatalog.open(join(dataDir!, 'meta', 'topics.sqlite'));
  const offsets = await OffsetStore.open(join(dataDir!, 'meta', 'groups.sqlite'));
  const { store: mqtt } = await SessionStore.open(await Database.open(join(dataDir!, 'meta', 'mqtt.sqlite')), { logger: silentLogger(), ownsDatabase: true });
  return { topics, offsets, mqtt };
}

/** A clean stop, as the daemon's: what is written behind is committed, then the databases close (SQLite checkpoints the WAL into the database and removes it). */
async function closeStores(): Promise<void> {
  await mqtt.flush();
  await mqtt.close();
  await offsets.close();
  await topics.close();
}

let { topics, offsets, mqtt } = await openStores();

/**
 * Topic administration, one change at a time as the log store makes it: two topics created
 * together (CreateTopics), a long-lived topic grown (CreatePartitions), the round before's
 * first topic deleted (DeleteTopics).
 */
async function topicRound(round: number): Promise<void> {
  const created = ['a', 'b'].map((suffix) => ({ name: `round-${round}-${suffix}`, topicId: randomUUID(), partitions: 1 + (round % 3), overrides: {} }));
  await change('topics', created.map((row) => ({ key: topicKey(row.name), value: topicValue(row.topicId, row.partitions) })), () => topics.insertAll(created));
  if (round === 0) {
    await change('topics', [{ key: topicKey('readings'), value: topicValue(READINGS_TOPIC_ID, 1) }], () => topics.insertAll([{ name: 'readings', topicId: READINGS_TOPIC_ID, partitions: 1, overrides: {} }]));
  } else {
    await change('topics', [{ key: topicKey('readings'), value: topicValue(READINGS_TOPIC_ID, round + 1) }], () => topics.setPartitions('readings', round + 1));
    await change('topics', [{ key: topicKey(`round-${round - 1}-a`), value: null }], () => topics.delete(`round-${round - 1}-a`));
  }
}
const READINGS_TOPIC_ID = randomUUID();

function commitOffsets(group: string, offset: bigint): Promise<void> {
  const writes = PARTITIONS.map((partition) => ({ topic: 'readings', partition, committed: { offset: offset + BigInt(partition), leaderEpoch: 0, metadata: '', commitTimestampMs: BigInt(Date.now()) } }));
  return change('groups', writes.map(({ topic, partition, committed }) => ({ key: offsetKey(group, topic, partition), value: String(committed.offset) })), () => offsets.commit(group, 'consumer', writes));
}

function held(clientId: string, round: number, progress: Partial<StoredFields>): StoredFields {
  return { topic: `commands/${clientId}`, payload: `command ${round}`, qos: 2, ...progress };
}

/** What a client's session holds, so that deleting the session names every fact it removes. */
const keysOf = new Map<string, Set<string>>();
function note(clientId: string, key: string): string {
  keysOf.set(clientId, (keysOf.get(clientId) ?? new Set()).add(key));
  return key;
}

async function mqttRound(clientId: string, round: number): Promise<void> {
  const filter = `sensors/${round}/#`;
  const work: Promise<void>[] = [
    // SUBACK, PUBREC and the publisher's acknowledgement wait for these commits.
    change('mqtt', [{ key: note(clientId, subscriptionKey(clientId, filter)), value: String(round % 3) }], () => mqtt.subscriptions.put(clientId, filter, { qos: round % 3 })),
    change('mqtt', [{ key: note(clientId, incomingKey(clientId, round + 1)), value: 'pubrec' }], () => mqtt.incoming.put(clientId, round + 1)),
    change('mqtt', [{ key: note(clientId, outgoingKey(clientId, round)), value: outgoingValue(held(clientId, round, {})) }], () => mqtt.outgoing.add(clientId, round, held(clientId, round, {}))),
  ];
  // Progress, written behind: PUBREL received for the previous identifier, an UNSUBSCRIBE,
  // a packet identifier assigned to the last message, PUBREC received for the one before,
  // PUBCOMP for the one before that.
  if (round >= 1) {
    work.push(change('mqtt', [{ key: incomingKey(clientId, round), value: null }], () => mqtt.incoming.delete(clientId, round)));
    const assigned = held(clientId, round - 1, { messageId: round });
    work.push(change('mqtt', [{ key: outgoingKey(clientId, round - 1), value: outgoingValue(assigned) }], () => mqtt.outgoing.update(clientId, round - 1, assigned)));
  }
  if (round >= 2) {
    work.push(change('mqtt', [{ key: subscriptionKey(clientId, `sensors/${round - 2}/#`), value: null }], () => mqtt.subscriptions.delete(clientId, `sensors/${round - 2}/#`)));
    const released = held(clientId, round - 2, { messageId: round - 1, cmd: 'pubrel' });
    work.push(change('mqtt', [{ key: outgoingKey(clientId, round - 2), value: outgoingValue(released) }], () => mqtt.outgoing.update(clientId, round - 2, released)));
  }
  if (round >= 3) work.push(change('mqtt', [{ key: outgoingKey(clientId, round - 3), value: null }], () => mqtt.outgoing.delete(clientId, round - 3)));
  await Promise.all(work);
}

async function connect(clientId: string): Promise<void> {
  await change('mqtt', [{ key: note(clientId, sessionKey(clientId)), value: String(SESSION_EXPIRY_SECONDS) }], () => mqtt.sessions.put(clientId, SESSION_EXPIRY_SECONDS));
}

/** A client that leaves for good: its session and all it held are removed in one commit. */
async function forget(clientId: string): Promise<void> {
  const facts = [...(keysOf.get(clientId) ?? [])].map((key) => ({ key, value: null }));
  await change('mqtt', facts, () => mqtt.deleteSession(clientId));
}

for (const clientId of CLIENTS) await connect(clientId);
const leaving = 'meter-temporary';
await connect(leaving);
for (let round = 0; round < rounds; round++) {
  const work: Promise<void>[] = [topicRound(round)];
  // Several groups commit at once, so the store coalesces their commits into one transaction.
  for (const group of GROUPS) work.push(commitOffsets(group, BigInt(round * 10)));
  // A group that commits once and is deleted the next round (DeleteGroups).
  work.push(commitOffsets(`batch-${round}`, 0n));
  if (round >= 1) work.push(change('groups', PARTITIONS.map((partition) => ({ key: offsetKey(`batch-${round - 1}`, 'readings', partition), value: null })), () => offsets.deleteGroup(`batch-${round - 1}`)));
  for (const clientId of CLIENTS) work.push(mqttRound(clientId, round));
  if (round < rounds / 2) work.push(mqttRound(leaving, round));
  await Promise.all(work);
  if (round === Math.floor(rounds / 2)) await forget(leaving);
  // A restart of the daemon: a checkpoint, the WAL removed and a new one made, in the middle of the trace.
  if (round === Math.min(RESTART_ROUND, Math.floor(rounds / 3))) {
    await closeStores();
    ({ topics, offsets, mqtt } = await openStores());
  }
}
await closeStores();
