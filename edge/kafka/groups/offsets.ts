// A group's committed offsets: OffsetCommit, OffsetFetch and OffsetDelete (KIP-496). The
// offsets themselves are kept durably by offset-store.ts; this file decides who may commit
// and delete, as Kafka's classic coordinator does. Committed offsets are kept until their
// group is deleted (there is no offsets.retention.minutes).
import type { AnswerOf } from '../../../shared/kafka/apis/index.ts';
import type { OffsetCommitRequest, offsetCommitApi } from '../../../shared/kafka/apis/offset-commit.ts';
import type { OffsetDeleteRequest, offsetDeleteApi } from '../../../shared/kafka/apis/offset-delete.ts';
import type { OffsetFetchRequest, offsetFetchApi } from '../../../shared/kafka/apis/offset-fetch.ts';
import type { TxnOffsetCommitRequest } from '../../../shared/kafka/apis/txn-offset-commit.ts';
import { assert } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-subscription.ts';
import type { GroupTable } from './group-table.ts';
import type { ClassicGroup } from './group.ts';
import type { OffsetWrite } from './offset-store.ts';
import type { Rebalancer } from './rebalance.ts';

type CommitAnswer = AnswerOf<typeof offsetCommitApi>;
type DeleteOffsetsAnswer = AnswerOf<typeof offsetDeleteApi>;
/** One group of an OffsetFetch: a v8+ request names several, a v0–7 request is one. */
export type OffsetFetchGroup = Pick<OffsetFetchRequest['groups'][number], 'groupId' | 'topics'>;
export type OffsetFetchGroupAnswer = AnswerOf<typeof offsetFetchApi>['groups'][number];

export interface OffsetCommitsOptions {
  /**
   * Whether a partition exists. Commits to partitions that do not get
   * UNKNOWN_TOPIC_OR_PARTITION, as in Kafka, and take no room in the database.
   */
  partitionExists: (topic: string, partition: number) => boolean;
  /** Clock for commit timestamps, in milliseconds. */
  now: () => number;
}

export class OffsetCommits {
  readonly #table: GroupTable;
  readonly #rebalancer: Rebalancer;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #now: () => number;

  constructor(table: GroupTable, rebalancer: Rebalancer, options: OffsetCommitsOptions) {
    this.#table = table;
    this.#rebalancer = rebalancer;
    this.#partitionExists = options.partitionExists;
    this.#now = options.now;
  }

  async commitOffsets(request: OffsetCommitRequest): Promise<CommitAnswer> {
    const table = this.#table;
    const everyPartition = (errorCode: number): CommitAnswer => ({
      topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) })),
    });
    // The empty group id is allowed here, for clients older than group management.
    const groupIdError = table.checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return everyPartition(groupIdError);
    if (table.isClosed) return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const generationId = request.generationIdOrMemberEpoch;
    let group = table.get(request.groupId);
    if (group === undefined) {
      // Generation -1: the client manages its own partitions and only stores offsets here
      // (a "simple" consumer or an admin tool); anything else comes from a generation that
      // no longer exists.
      if (generationId >= 0) return everyPartition(ErrorCode.ILLEGAL_GENERATION);
      group = table.create(request.groupId, 'an offset commit');
      if (group === undefined) return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    const validationError = validateOffsetCommit(group, generationId, request.memberId, request.groupInstanceId);
    if (validationError !== ErrorCode.NONE) {
      table.forgetIfUnused(group);
      return everyPartition(validationError);
    }
    if (group.is('CompletingRebalance')) {
      // The member has its new generation but not yet its assignment; it commits after SyncGroup.
      return everyPartition(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    if (!group.is('Empty')) {
      // A commit is a sign of life too. During PreparingRebalance commits are still taken:
      // the member learns of the rebalance from its next heartbeat.
      const member = group.members.get(request.memberId);
      assert(member !== undefined, 'a validated committer of a non-empty group is a member');
      this.#rebalancer.keepAlive(group, member);
    }
    if (table.store.isBacklogged) {
      table.refuse('write-queue', `group ${request.groupId}: an offset commit was refused, the offset database has a backlog of writes`);
      table.forgetIfUnused(group);
      return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }

    const nowMs = BigInt(this.#now());
    const writes: OffsetWrite[] = [];
    const metadataLengthMax = table.config.offsetMetadataLengthMax;
    const errorCodes: number[][] = request.topics.map((topic) =>
      topic.partitions.map((partition): number => {
        if (partition.committedMetadata !== null && partition.committedMetadata.length > metadataLengthMax) {
          table.refuse('offset-metadata-length', `group ${request.groupId}: the metadata committed for ${topic.name}-${partition.partitionIndex} has ${partition.committedMetadata.length} characters, above offsetMetadataLengthMax (${metadataLengthMax})`);
          return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        }
        if (partition.partitionIndex < 0 || !this.#partitionExists(topic.name, partition.partitionIndex)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        writes.push({
          topic: topic.name,
          partition: partition.partitionIndex,
          committed: {
            offset: partition.committedOffset,
            leaderEpoch: partition.committedLeaderEpoch < 0 ? -1 : partition.committedLeaderEpoch,
            metadata: partition.committedMetadata ?? '',
            // Only OffsetCommit v1 carries the client's own timestamp.
            commitTimestampMs: partition.commitTimestamp >= 0n ? partition.commitTimestamp : nowMs,
          },
        });
        return ErrorCode.NONE;
      }),
    );

    if (writes.length > 0) {
      group.commitsInFlight += 1;
      try {
        await table.store.commit(group.groupId, group.protocolType ?? '', writes);
        table.metrics.offsetsCommitted.inc(writes.length);
      } catch (error) {
        table.logger.error({ groupId: group.groupId, err: error }, 'committing consumer-group offsets failed');
        // Retriable for the client: the offsets may be committed again once the disk recovers.
        for (const codes of errorCodes) codes.fill(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      } finally {
        group.commitsInFlight -= 1;
      }
    }
    table.forgetIfUnused(group);
    return {
      topics: request.topics.map((topic, topicIndex) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition, partitionIndex) => ({ partitionIndex: partition.partitionIndex, errorCode: errorCodes[topicIndex]![partitionIndex]! })),
      })),
    };
  }

  /**
   * TxnOffsetCommit (KIP-98, KIP-447): checks a transactional commit as Kafka's group
   * coordinator does (the group id, the member and generation a v3+ request names, the
   * metadata's length, that each partition exists) and returns the offsets to hold as
   * pending until the transaction ends, with an error code per partition in request order.
   * The transaction coordinator keeps the pending offsets durably and hands them to
   * commitTransactionalOffsets when the transaction commits.
   */
  checkTransactionalCommit(request: TxnOffsetCommitRequest): { errorCodes: number[][]; writes: OffsetWrite[] } {
    const table = this.#table;
    const every = (errorCode: number): { errorCodes: number[][]; writes: OffsetWrite[] } => ({ errorCodes: request.topics.map((topic) => topic.partitions.map(() => errorCode)), writes: [] });
    const groupIdError = table.checkGroupId(request.groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return every(groupIdError);
    if (table.isClosed) return every(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const group = table.get(request.groupId);
    if (group !== undefined && (request.generationIdOrMemberEpoch >= 0 || request.memberId !== '' || request.groupInstanceId !== null)) {
      // Kafka's validateTransactionalOffsetCommit: a named member must be this generation's (KIP-447).
      const memberError = group.memberError(request.memberId, request.groupInstanceId);
      if (memberError !== ErrorCode.NONE) return every(memberError);
      if (request.generationIdOrMemberEpoch >= 0 && request.generationIdOrMemberEpoch !== group.generationId) return every(ErrorCode.ILLEGAL_GENERATION);
    }
    const nowMs = BigInt(this.#now());
    const writes: OffsetWrite[] = [];
    const metadataLengthMax = table.config.offsetMetadataLengthMax;
    const errorCodes = request.topics.map((topic) =>
      topic.partitions.map((partition): number => {
        if (partition.committedMetadata !== null && partition.committedMetadata.length > metadataLengthMax) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        if (partition.partitionIndex < 0 || !this.#partitionExists(topic.name, partition.partitionIndex)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        writes.push({
          topic: topic.name,
          partition: partition.partitionIndex,
          committed: { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch < 0 ? -1 : partition.committedLeaderEpoch, metadata: partition.committedMetadata ?? '', commitTimestampMs: nowMs },
        });
        return ErrorCode.NONE;
      }),
    );
    return { errorCodes, writes };
  }

  /** Commits the pending offsets of a transaction that committed; throws when the offset database fails (the transaction coordinator tries again). */
  async commitTransactionalOffsets(groupId: string, writes: OffsetWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const group = this.#table.get(groupId);
    await this.#table.store.commit(groupId, group?.protocolType ?? '', writes);
    this.#table.metrics.offsetsCommitted.inc(writes.length);
  }

  /**
   * One group of an OffsetFetch. Offsets are answered whatever the group's state, since a
   * group may use this coordinator only to store offsets. A partition with nothing
   * committed answers offset -1.
   */
  fetchOffsets(request: OffsetFetchGroup): OffsetFetchGroupAnswer {
    const groupIdError = this.#table.checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return { groupId: request.groupId, topics: [], errorCode: groupIdError };
    if (this.#table.isClosed) return { groupId: request.groupId, topics: [], errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const offsets = this.#table.store.offsetsOf(request.groupId);
    let topics: OffsetFetchGroupAnswer['topics'];
    if (request.topics === null) {
      topics = [...(offsets ?? new Map())]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, partitions]) => ({
          name,
          partitions: [...partitions]
            .sort(([a], [b]) => a - b)
            .map(([partitionIndex, committed]) => ({
              partitionIndex,
              committedOffset: committed.offset,
              committedLeaderEpoch: committed.leaderEpoch,
              metadata: committed.metadata,
              errorCode: ErrorCode.NONE,
            })),
        }));
    } else {
      topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => {
          const committed = offsets?.get(topic.name)?.get(partitionIndex);
          return {
            partitionIndex,
            committedOffset: committed?.offset ?? -1n,
            committedLeaderEpoch: committed?.leaderEpoch ?? -1,
            metadata: committed?.metadata ?? '',
            errorCode: ErrorCode.NONE,
          };
        }),
      }));
    }
    return { groupId: request.groupId, topics, errorCode: ErrorCode.NONE };
  }

  /**
   * OffsetDelete (KIP-496): forgets a group's committed offsets of some partitions. A group
   * with members keeps the offsets of the topics its consumers subscribe to
   * (GROUP_SUBSCRIBED_TO_TOPIC per partition); when their subscriptions cannot be read, or
   * the group is not a consumer group, none are deleted while it has members.
   */
  async deleteOffsets(request: OffsetDeleteRequest): Promise<DeleteOffsetsAnswer> {
    const table = this.#table;
    const refuse = (errorCode: number): DeleteOffsetsAnswer => ({ errorCode, topics: [] });
    const groupIdError = table.checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return refuse(groupIdError);
    if (table.isClosed || table.store.isBacklogged) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const group = table.get(request.groupId);
    if (group === undefined ? !table.store.hasOffsets(request.groupId) : group.is('Dead')) return refuse(ErrorCode.GROUP_ID_NOT_FOUND);
    const active = group !== undefined && !group.is('Empty');
    if (active && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return refuse(ErrorCode.NON_EMPTY_GROUP);
    const subscribed = active ? subscribedTopicsOf(group) : new Set<string>();
    const isSubscribed = (topic: string): boolean => subscribed === undefined || subscribed.has(topic);
    const deletable = request.topics.flatMap((topic) => (isSubscribed(topic.name) ? [] : topic.partitions.map((partition) => ({ topic: topic.name, partition: partition.partitionIndex }))));
    try {
      if (deletable.length > 0) await table.store.deleteOffsets(request.groupId, deletable);
    } catch (error) {
      table.logger.error({ groupId: request.groupId, err: error }, 'deleting committed offsets failed');
      return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (group !== undefined) table.forgetIfUnused(group);
    return {
      errorCode: ErrorCode.NONE,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: isSubscribed(topic.name) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE })),
      })),
    };
  }
}

/** Kafka's validateOffsetCommit for non-transactional commits. */
function validateOffsetCommit(group: ClassicGroup, generationId: number, memberId: string, groupInstanceId: string | null): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Generation -1 on an Empty group: an admin tool or a consumer without group management.
  if (generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const memberError = group.memberError(memberId, groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    return generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }
  // Only members may commit for a group that has them.
  return group.is('Empty') ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

/** The topics the group's members subscribe to, or undefined when any member's subscription cannot be read. */
function subscribedTopicsOf(group: ClassicGroup): Set<string> | undefined {
  const topics = new Set<string>();
  for (const member of group.members.values()) {
    const protocol = group.protocolName ?? member.protocols[0]?.name;
    const subscription = protocol === undefined ? undefined : subscribedTopics(member.metadataFor(protocol));
    if (subscription === undefined) return undefined;
    for (const topic of subscription) topics.add(topic);
  }
  return topics;
}
