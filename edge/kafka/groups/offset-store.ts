// The group store: committed consumer-group offsets and the membership of each group's
// generation, durable in SQLite, with an in-memory copy of the offsets that answers
// OffsetFetch without touching the disk.
//
// Database `<dataDir>/meta/groups.sqlite` (PRAGMA user_version = 2):
//   consumer_groups(group_id TEXT PRIMARY KEY, protocol_type TEXT)
//       a group that has committed offsets; it outlives a restart with them.
//   committed_offsets(group_id, topic, partition_index, committed_offset, leader_epoch,
//                     metadata, commit_timestamp_ms)
//       one row per group and partition; 64-bit integers are bound as text and cast,
//       because the sqlite3 package cannot bind a bigint.
//   group_generations(group_id TEXT PRIMARY KEY, protocol_type, protocol_name, generation_id,
//                     leader_id, rebalance_pending)                       (from version 2)
//   group_members(group_id, member_index, member_id, group_instance_id, client_id, client_host,
//                 rebalance_timeout_ms, session_timeout_ms, subscription BLOB, assignment BLOB)
//       a classic group's last generation and its members (group-snapshot.ts), so that they
//       outlive a restart as Kafka's GroupMetadata records do.
// A database of an older version is migrated when opened, one numbered step at a time.
//
// Writes from concurrent requests are coalesced: one writer at a time drains every queued
// commit into one transaction, so a burst of OffsetCommits costs one fsync, not one each
// (flash wants few writes). A commit's promise resolves once its transaction is durable,
// and only then does the in-memory copy change, so OffsetFetch never shows an offset that
// a power cut could take back. A group's membership waits in the queue at most once: a newer
// state of the group replaces the one not yet written.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Database } from '../../../shared/sqlite.ts';
import { assert, TributaryError } from '../../../shared/errors.ts';
import type { GroupSnapshot, MemberSnapshot } from './group-snapshot.ts';

/** Each step takes the database from the version of its index to the next; the last step's version is current. */
const MIGRATIONS: readonly string[] = [
  // 0 -> 1: committed offsets.
  `CREATE TABLE IF NOT EXISTS consumer_groups (
     group_id TEXT PRIMARY KEY,
     protocol_type TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS committed_offsets (
     group_id TEXT NOT NULL REFERENCES consumer_groups (group_id) ON DELETE CASCADE,
     topic TEXT NOT NULL,
     partition_index INTEGER NOT NULL,
     committed_offset INTEGER NOT NULL,
     leader_epoch INTEGER NOT NULL,
     metadata TEXT NOT NULL,
     commit_timestamp_ms INTEGER NOT NULL,
     PRIMARY KEY (group_id, topic, partition_index)
   ) WITHOUT ROWID;`,
  // 1 -> 2: classic groups' generations and members, kept across a restart.
  `CREATE TABLE group_generations (
     group_id TEXT PRIMARY KEY,
     protocol_type TEXT NOT NULL,
     protocol_name TEXT,
     generation_id INTEGER NOT NULL,
     leader_id TEXT,
     rebalance_pending INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE group_members (
     group_id TEXT NOT NULL REFERENCES group_generations (group_id) ON DELETE CASCADE,
     member_index INTEGER NOT NULL,
     member_id TEXT NOT NULL,
     group_instance_id TEXT,
     client_id TEXT NOT NULL,
     client_host TEXT NOT NULL,
     rebalance_timeout_ms INTEGER NOT NULL,
     session_timeout_ms INTEGER NOT NULL,
     subscription BLOB NOT NULL,
     assignment BLOB NOT NULL,
     PRIMARY KEY (group_id, member_index)
   ) WITHOUT ROWID;`,
];
const SCHEMA_VERSION = MIGRATIONS.length;
/** Commits waiting for the writer; beyond this the disk is not keeping up and callers are told to retry. */
export const WRITE_QUEUE_LENGTH_MAX = 4_096;
/** Jobs written in one transaction: bounds how long one transaction holds the writer and its memory. */
const TRANSACTION_JOBS_MAX = 256;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export interface CommittedOffset {
  offset: bigint;
  /** -1 when the client did not say. */
  leaderEpoch: number;
  /** Empty when the client sent none. */
  metadata: string;
  commitTimestampMs: bigint;
}

export interface OffsetWrite {
  topic: string;
  partition: number;
  committed: CommittedOffset;
}

/** A group's offsets by topic, then partition. */
export type GroupOffsets = ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>>;

type Job =
  | { kind: 'commit'; groupId: string; protocolType: string; writes: OffsetWrite[]; resolve: () => void; reject: (error: Error) => void }
  | { kind: 'delete'; groupId: string; resolve: () => void; reject: (error: Error) => void }
  | { kind: 'delete-offsets'; groupId: string; partitions: readonly OffsetKey[]; resolve: () => void; reject: (error: Error) => void }
  // snapshot undefined: the group's membership is forgotten.
  | { kind: 'membership'; groupId: string; snapshot: GroupSnapshot | undefined; resolve: () => void; reject: (error: Error) => void };

interface GenerationRow {
  group_id: string;
  protocol_type: string;
  protocol_name: string | null;
  generation_id: number;
  leader_id: string | null;
  rebalance_pending: number;
}

interface MemberRow {
  group_id: string;
  member_id: string;
  group_instance_id: string | null;
  client_id: string;
  client_host: string;
  rebalance_timeout_ms: number;
  session_timeout_ms: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface OffsetKey {
  topic: string;
  partition: number;
}

/** A committed_offsets row as #load selects it; the transaction store's pending offsets share its columns. */
export interface OffsetRow {
  group_id: string;
  topic: string;
  partition_index: number;
  committed_offset: string;
  leader_epoch: number;
  metadata: string;
  commit_timestamp_ms: string;
}

export class OffsetStore {
  readonly path: string;
  readonly #db: Database;
  /** Groups with committed offsets, and the protocol type they last committed under. */
  readonly #groups = new Map<string, string>();
  readonly #offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  /** Groups' memberships as last read at open; the group table takes them over once. */
  #loadedSnapshots: GroupSnapshot[] = [];
  readonly #queue: Job[] = [];
  /** The membership job of each group still in the queue, which a newer state of the group replaces. */
  readonly #queuedMemberships = new Map<string, Extract<Job, { kind: 'membership' }>>();
  #writer: Promise<void> | undefined;
  #closed = false;

  private constructor(path: string, db: Database) {
    this.path = path;
    this.#db = db;
  }

  static async open(path: string): Promise<OffsetStore> {
    mkdirSync(dirname(path), { recursive: true });
    const db = await Database.open(path);
    try {
      await migrate(db, path);
      const store = new OffsetStore(path, db);
      await store.#load();
      return store;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  async #load(): Promise<void> {
    this.#loadedSnapshots = await this.#loadSnapshots();
    for (const row of await this.#db.all<{ group_id: string; protocol_type: string }>('SELECT group_id, protocol_type FROM consumer_groups')) {
      this.#groups.set(row.group_id, row.protocol_type);
    }
    const rows = await this.#db.all<OffsetRow>(`SELECT ${OFFSET_ROW_COLUMNS} FROM committed_offsets`);
    for (const row of rows) {
      const write = offsetWriteOfRow(row);
      this.#cache(row.group_id, write.topic, write.partition, write.committed);
    }
  }

  /** The memberships stored before this open, handed over once (the group table restores them). */
  takeLoadedSnapshots(): GroupSnapshot[] {
    const snapshots = this.#loadedSnapshots;
    this.#loadedSnapshots = [];
    return snapshots;
  }

  /**
   * Stores the group's membership durably, replacing what was stored (undefined forgets it).
   * A state of the same group still waiting to be written is replaced and its callers
   * resolve with this write, so the queue holds at most one per group.
   */
  storeMembership(groupId: string, snapshot: GroupSnapshot | undefined): Promise<void> {
    assert(!this.#closed, 'offset store is closed');
    const queued = this.#queuedMemberships.get(groupId);
    if (queued !== undefined) {
      queued.snapshot = snapshot;
      return new Promise((resolve, reject) => {
        const [earlierResolve, earlierReject] = [queued.resolve, queued.reject];
        queued.resolve = () => { earlierResolve(); resolve(); };
        queued.reject = (error) => { earlierReject(error); reject(error); };
      });
    }
    return new Promise((resolve, reject) => {
      const job: Extract<Job, { kind: 'membership' }> = { kind: 'membership', groupId, snapshot, resolve, reject };
      this.#queuedMemberships.set(groupId, job);
      this.#queue.push(job);
      this.#writer ??= this.#drain();
    });
  }

  /** Groups that have committed offsets, with the protocol type they committed under ('' for none). */
  groups(): ReadonlyMap<string, string> {
    return this.#groups;
  }

  offsetsOf(groupId: string): GroupOffsets | undefined {
    return this.#offsets.get(groupId);
  }

  hasOffsets(groupId: string): boolean {
    return this.#offsets.has(groupId);
  }

  /** True when a commit now would wait behind WRITE_QUEUE_LENGTH_MAX others. */
  get isBacklogged(): boolean {
    return this.#queue.length >= WRITE_QUEUE_LENGTH_MAX;
  }

  /** Stores the offsets durably; rejects with a STORAGE_IO error if the database cannot be written. */
  commit(groupId: string, protocolType: string, writes: OffsetWrite[]): Promise<void> {
    for (const write of writes) assertWrite(write);
    return this.#enqueue((resolve, reject) => ({ kind: 'commit', groupId, protocolType, writes, resolve, reject }));
  }

  /** Forgets the group and all its offsets, durably. */
  deleteGroup(groupId: string): Promise<void> {
    return this.#enqueue((resolve, reject) => ({ kind: 'delete', groupId, resolve, reject }));
  }

  /** Forgets the group's offsets of these partitions, durably; a group left without offsets is forgotten with them. */
  deleteOffsets(groupId: string, partitions: readonly OffsetKey[]): Promise<void> {
    return this.#enqueue((resolve, reject) => ({ kind: 'delete-offsets', groupId, partitions, resolve, reject }));
  }

  /** Finishes the queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer;
    await this.#db.close();
  }

  #enqueue(makeJob: (resolve: () => void, reject: (error: Error) => void) => Job): Promise<void> {
    assert(!this.#closed, 'offset store is closed');
    assert(!this.isBacklogged, 'offset store queue is full; callers check isBacklogged first');
    return new Promise((resolve, reject) => {
      this.#queue.push(makeJob(resolve, reject));
      this.#writer ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, TRANSACTION_JOBS_MAX);
        for (const job of batch) if (job.kind === 'membership') this.#queuedMemberships.delete(job.groupId);
        try {
          await this.#db.transaction(async () => {
            for (const job of batch) await this.#write(job);
          });
        } catch (error) {
          const cause = error instanceof Error ? error.message : String(error);
          const failure = new TributaryError('STORAGE_IO', `writing consumer-group offsets to ${this.path} failed: ${cause}`, { path: this.path }, { cause: error });
          for (const job of batch) job.reject(failure);
          continue;
        }
        for (const job of batch) {
          this.#apply(job);
          job.resolve();
        }
      }
    } finally {
      this.#writer = undefined;
    }
  }

  async #write(job: Job): Promise<void> {
    if (job.kind === 'membership') {
      await this.#db.run('DELETE FROM group_generations WHERE group_id = ?', [job.groupId]);
      if (job.snapshot !== undefined) await this.#writeSnapshot(job.snapshot);
      return;
    }
    if (job.kind === 'delete') {
      await this.#db.run('DELETE FROM consumer_groups WHERE group_id = ?', [job.groupId]);
      await this.#db.run('DELETE FROM group_generations WHERE group_id = ?', [job.groupId]);
      return;
    }
    if (job.kind === 'delete-offsets') {
      for (const { topic, partition } of job.partitions) {
        await this.#db.run('DELETE FROM committed_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?', [job.groupId, topic, partition]);
      }
      await this.#db.run('DELETE FROM consumer_groups WHERE group_id = ? AND NOT EXISTS (SELECT 1 FROM committed_offsets WHERE group_id = ?)', [job.groupId, job.groupId]);
      return;
    }
    await this.#db.run(
      'INSERT INTO consumer_groups (group_id, protocol_type) VALUES (?, ?) ON CONFLICT (group_id) DO UPDATE SET protocol_type = excluded.protocol_type',
      [job.groupId, job.protocolType],
    );
    for (const { topic, partition, committed } of job.writes) {
      await this.#db.run(
        `INSERT OR REPLACE INTO committed_offsets
           (group_id, topic, partition_index, committed_offset, leader_epoch, metadata, commit_timestamp_ms)
         VALUES (?, ?, ?, CAST(? AS INTEGER), ?, ?, CAST(? AS INTEGER))`,
        [job.groupId, topic, partition, committed.offset.toString(), committed.leaderEpoch, committed.metadata, committed.commitTimestampMs.toString()],
      );
    }
  }

  async #writeSnapshot(snapshot: GroupSnapshot): Promise<void> {
    assertSnapshot(snapshot);
    await this.#db.run(
      'INSERT INTO group_generations (group_id, protocol_type, protocol_name, generation_id, leader_id, rebalance_pending) VALUES (?, ?, ?, ?, ?, ?)',
      [snapshot.groupId, snapshot.protocolType, snapshot.protocolName, snapshot.generationId, snapshot.leaderId, snapshot.rebalancePending ? 1 : 0],
    );
    for (const [index, member] of snapshot.members.entries()) {
      await this.#db.run(
        `INSERT INTO group_members (group_id, member_index, member_id, group_instance_id, client_id, client_host, rebalance_timeout_ms, session_timeout_ms, subscription, assignment)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [snapshot.groupId, index, member.memberId, member.groupInstanceId, member.clientId, member.clientHost, member.rebalanceTimeoutMs, member.sessionTimeoutMs, member.subscription, member.assignment],
      );
    }
  }

  async #loadSnapshots(): Promise<GroupSnapshot[]> {
    const members = new Map<string, MemberSnapshot[]>();
    for (const row of await this.#db.all<MemberRow>('SELECT * FROM group_members ORDER BY group_id, member_index')) {
      const list = members.get(row.group_id) ?? [];
      list.push({
        memberId: row.member_id,
        groupInstanceId: row.group_instance_id,
        clientId: row.client_id,
        clientHost: row.client_host,
        rebalanceTimeoutMs: row.rebalance_timeout_ms,
        sessionTimeoutMs: row.session_timeout_ms,
        subscription: Buffer.from(row.subscription),
        assignment: Buffer.from(row.assignment),
      });
      members.set(row.group_id, list);
    }
    return (await this.#db.all<GenerationRow>('SELECT * FROM group_generations')).map((row) => {
      const snapshot: GroupSnapshot = {
        groupId: row.group_id,
        protocolType: row.protocol_type,
        protocolName: row.protocol_name,
        generationId: row.generation_id,
        leaderId: row.leader_id,
        rebalancePending: row.rebalance_pending !== 0,
        members: members.get(row.group_id) ?? [],
      };
      assertSnapshot(snapshot);
      return snapshot;
    });
  }

  #apply(job: Job): void {
    if (job.kind === 'membership') return;
    if (job.kind === 'delete-offsets') {
      const topics = this.#offsets.get(job.groupId);
      for (const { topic, partition } of job.partitions) {
        topics?.get(topic)?.delete(partition);
        if (topics?.get(topic)?.size === 0) topics.delete(topic);
      }
      if (topics !== undefined && topics.size > 0) return;
    }
    if (job.kind === 'delete' || job.kind === 'delete-offsets') {
      this.#groups.delete(job.groupId);
      this.#offsets.delete(job.groupId);
      return;
    }
    this.#groups.set(job.groupId, job.protocolType);
    for (const { topic, partition, committed } of job.writes) this.#cache(job.groupId, topic, partition, committed);
  }

  #cache(groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let topics = this.#offsets.get(groupId);
    if (topics === undefined) this.#offsets.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, committed);
  }
}

/** Brings the database to SCHEMA_VERSION, each step in its own transaction; refuses one written by a newer version. */
async function migrate(db: Database, path: string): Promise<void> {
  const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
  if (version > SCHEMA_VERSION) {
    throw new TributaryError('STORAGE_IO', `${path} is of schema version ${version}, newer than this version of Tributary reads (${SCHEMA_VERSION}); run the newer version, or move the file away to start without the stored groups`, { path });
  }
  for (let step = version; step < SCHEMA_VERSION; step += 1) {
    await db.transaction(async () => {
      await db.exec(MIGRATIONS[step]!);
      await db.exec(`PRAGMA user_version = ${step + 1}`);
    });
  }
}

/** The invariants of a stored membership, checked before it is written and after it is read back. */
function assertSnapshot(snapshot: GroupSnapshot): void {
  assert(Number.isInteger(snapshot.generationId) && snapshot.generationId > 0 && snapshot.generationId <= 0x7fffffff, `generation ${snapshot.generationId} of group ${snapshot.groupId} is a positive int32`);
  assert((snapshot.members.length === 0) === (snapshot.protocolName === null), `group ${snapshot.groupId} has a protocol exactly when it has members`);
  assert(snapshot.members.length === 0 || snapshot.members.some((member) => member.memberId === snapshot.leaderId), `the leader of group ${snapshot.groupId} is one of its members`);
  for (const member of snapshot.members) {
    assert(Number.isInteger(member.sessionTimeoutMs) && member.sessionTimeoutMs > 0, `member ${member.memberId} has a session timeout`);
    assert(Number.isInteger(member.rebalanceTimeoutMs) && member.rebalanceTimeoutMs > 0, `member ${member.memberId} has a rebalance timeout`);
  }
}

/** The columns of an OffsetRow, 64-bit integers read as text so that no precision is lost on the way to a bigint. */
export const OFFSET_ROW_COLUMNS = `group_id, topic, partition_index, CAST(committed_offset AS TEXT) AS committed_offset, leader_epoch, metadata,
  CAST(commit_timestamp_ms AS TEXT) AS commit_timestamp_ms`;

/** The offset a stored row holds, checked as it is read back. */
export function offsetWriteOfRow(row: OffsetRow): OffsetWrite {
  const write: OffsetWrite = {
    topic: row.topic,
    partition: row.partition_index,
    committed: { offset: BigInt(row.committed_offset), leaderEpoch: row.leader_epoch, metadata: row.metadata, commitTimestampMs: BigInt(row.commit_timestamp_ms) },
  };
  assertWrite(write);
  return write;
}

/** The invariants of a stored offset, checked before it is written and after it is read back. */
function assertWrite({ topic, partition, committed }: OffsetWrite): void {
  assert(typeof topic === 'string', 'topic is a string');
  assert(Number.isInteger(partition) && partition >= 0 && partition <= 0x7fffffff, `partition ${partition} is an int32 index`);
  assert(committed.offset >= INT64_MIN && committed.offset <= INT64_MAX, `offset ${committed.offset} is an int64`);
  assert(Number.isInteger(committed.leaderEpoch) && committed.leaderEpoch >= -1 && committed.leaderEpoch <= 0x7fffffff, `leader epoch ${committed.leaderEpoch} is an int32`);
  assert(typeof committed.metadata === 'string', 'metadata is a string');
  assert(committed.commitTimestampMs >= INT64_MIN && committed.commitTimestampMs <= INT64_MAX, 'commit timestamp is an int64');
}
