// Checks a crash state of the SQLite databases with the real stores: the state is
// materialised, the topic catalog, the OffsetStore and the MQTT SessionStore open it as the daemon does
// (SQLite's own recovery of the WAL or a hot journal runs there), what they load is read
// as facts (facts.ts), and SQLite's integrity check runs on every file. Then `judge`
// holds the facts to what the workload had been told before the crash.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffsetStore } from '../../../edge/kafka/groups/offset-store.ts';
import { TopicCatalog } from '../../../edge/storage/topic-catalog.ts';
import { SessionStore } from '../../../edge/mqtt/store/session-store.ts';
import { Database } from '../../../shared/sqlite.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { removeDirectory } from '../../edge/storage/helpers.ts';
import type { CrashState } from '../crash-states.ts';
import { materialise } from '../materialise.ts';
import type { Recording } from '../trace.ts';
import { clientOfKey, incomingKey, offsetKey, outgoingKey, outgoingValue, sessionKey, subscriptionKey, topicKey, topicValue, type StoreName, type WorkloadMarker } from './facts.ts';

export const TOPICS_DATABASE = join('meta', 'topics.sqlite');
export const GROUPS_DATABASE = join('meta', 'groups.sqlite');
export const MQTT_DATABASE = join('meta', 'mqtt.sqlite');
/** Bytes of one region of SQLite's wal-index (the -shm file): 32 KiB, as the stale one written into every state is long. */
const WAL_INDEX_REGION_BYTES = 32_768;
/** What the stale wal-index holds: bytes no wal-index SQLite wrote for this state holds, so that trusting it would show. */
const STALE_WAL_INDEX_BYTE = 0xa5;

/** What the stores loaded: every fact's value by key, and what was wrong whatever the workload had been told. */
export type SqliteObservation = { values: Map<string, string>; problems: string[] } | { failed: string };

/** Materialises `state` in `directory`, opens the stores there and reads what they loaded; the directory is removed afterwards. */
export async function recoverSqlite(_recording: Recording, state: CrashState, directory: string): Promise<SqliteObservation> {
  materialise(state, directory);
  // The wal-index is shared memory and is not in the trace: after a power cut its file holds
  // whatever was last written back, stale for the state. Each state gets one beside every
  // WAL, and the first connection must rebuild it from the WAL rather than trust it.
  for (const path of state.files.keys()) if (path.endsWith('-wal')) writeFileSync(join(directory, `${path.slice(0, -'-wal'.length)}-shm`), Buffer.alloc(WAL_INDEX_REGION_BYTES, STALE_WAL_INDEX_BYTE));
  try {
    const values = new Map<string, string>();
    const problems: string[] = [];
    const topicsPath = join(directory, TOPICS_DATABASE);
    const groupsPath = join(directory, GROUPS_DATABASE);
    const mqttPath = join(directory, MQTT_DATABASE);
    // A database the crash left no file of opens empty, as the daemon would open it.
    const existed = [topicsPath, groupsPath, mqttPath].filter((path) => existsSync(path));
    try {
      await readTopics(topicsPath, values);
    } catch (error) {
      return { failed: `${TOPICS_DATABASE}: the topic catalog did not open: ${(error as Error).message}` };
    }
    try {
      await readOffsets(groupsPath, values);
    } catch (error) {
      return { failed: `${GROUPS_DATABASE}: the offset store did not open: ${(error as Error).message}` };
    }
    try {
      await readSessions(mqttPath, values, problems);
    } catch (error) {
      return { failed: `${MQTT_DATABASE}: the MQTT session store did not open: ${(error as Error).message}` };
    }
    for (const path of existed) {
      const database = await Database.open(path);
      try {
        const rows = await database.all<{ integrity_check: string }>('PRAGMA integrity_check');
        const report = rows.map((row) => row.integrity_check).join('; ');
        if (report !== 'ok') problems.push(`${path.slice(directory.length + 1)}: integrity check: ${report}`);
      } finally {
        await database.close();
      }
    }
    return { values, problems };
  } finally {
    removeDirectory(directory);
  }
}

async function readTopics(path: string, values: Map<string, string>): Promise<void> {
  const catalog = await TopicCatalog.open(path);
  try {
    for (const row of await catalog.list()) values.set(topicKey(row.name), topicValue(row.topicId, row.partitions));
  } finally {
    await catalog.close();
  }
}

async function readOffsets(path: string, values: Map<string, string>): Promise<void> {
  const store = await OffsetStore.open(path);
  try {
    for (const group of store.groups().keys()) {
      for (const [topic, partitions] of store.offsetsOf(group) ?? []) {
        for (const [partition, committed] of partitions) values.set(offsetKey(group, topic, partition), String(committed.offset));
      }
    }
  } finally {
    await store.close();
  }
}

async function readSessions(path: string, values: Map<string, string>, problems: string[]): Promise<void> {
  const { store, state } = await SessionStore.open(await Database.open(path), { logger: silentLogger(), ownsDatabase: true });
  try {
    for (const session of state.sessions) values.set(sessionKey(session.clientId), String(session.expirySeconds));
    for (const { clientId, filter, options } of state.subscriptions) values.set(subscriptionKey(clientId, filter), String(options.qos));
    for (const { clientId, packetId } of state.incoming) values.set(incomingKey(clientId, packetId), 'pubrec');
    for (const { clientId, sequence, fields } of state.outgoing) {
      values.set(outgoingKey(clientId, sequence), outgoingValue(fields));
      // A QoS 2 delivery past PUBREC is released by its packet identifier [MQTT-4.3.3-3]: without one, PUBREL cannot be sent.
      if (fields.cmd === 'pubrel' && fields.messageId === undefined) problems.push(`${outgoingKey(clientId, sequence)} awaits PUBCOMP but has no packet identifier`);
    }
  } finally {
    await store.close();
  }
  // Everything a session holds belongs to a session that is there: the session is committed before anything is held for it, and removed with all of it in one transaction.
  for (const key of values.keys()) {
    const clientId = clientOfKey(key);
    if (clientId !== undefined && !values.has(sessionKey(clientId))) problems.push(`${key} is there without its session`);
  }
}

/** Each key's changes asked before the crash, in the order asked (which is each store's commit order). */
interface Asked {
  id: number;
  store: StoreName;
  value: string | null;
}

/** Everything wrong with the facts a state's stores loaded, given what the workload had asked and been told before the crash. */
export function judgeSqlite(recording: Recording, observation: SqliteObservation, state: CrashState): string[] {
  if ('failed' in observation) return [observation.failed];
  const asked = new Map<string, Asked[]>();
  const storeOf = new Map<number, StoreName>();
  /** Per store, the latest change acknowledged: its commit, and so the commit of every change asked of that store before it. */
  const committedThrough = new Map<StoreName, number>();
  for (const entry of recording.entries.slice(0, state.crashPoint)) {
    if (entry.kind !== 'marker') continue;
    const marker = JSON.parse(entry.text) as WorkloadMarker;
    if (marker.phase === 'submitted') {
      storeOf.set(marker.id, marker.store);
      for (const { key, value } of marker.facts) asked.set(key, [...(asked.get(key) ?? []), { id: marker.id, store: marker.store, value }]);
    } else {
      const store = storeOf.get(marker.id)!;
      committedThrough.set(store, Math.max(committedThrough.get(store) ?? 0, marker.id));
    }
  }
  const problems = [...observation.problems];
  for (const key of new Set([...asked.keys(), ...observation.values.keys()])) {
    const changes = asked.get(key);
    const found = observation.values.get(key) ?? null;
    if (changes === undefined) {
      problems.push(`${key} is ${found}, but the workload never wrote it`);
      continue;
    }
    // The latest change to the key that is certainly committed; the key holds its value or a later one's.
    let committed = -1;
    for (let index = 0; index < changes.length; index++) if (changes[index]!.id <= (committedThrough.get(changes[index]!.store) ?? 0)) committed = index;
    const allowed = committed < 0 ? [null, ...changes.map((change) => change.value)] : changes.slice(committed).map((change) => change.value);
    if (!allowed.includes(found)) {
      const certain = committed < 0 ? 'nothing committed' : `${changes[committed]!.value ?? 'gone'} committed (change ${changes[committed]!.id})`;
      problems.push(`${key} is ${found ?? 'gone'}, but ${certain}; allowed: ${allowed.map((value) => value ?? 'gone').join(', ')}`);
    }
  }
  return problems;
}
