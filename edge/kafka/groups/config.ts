// Settings and limits of the consumer-group coordinator. Where Kafka has the same setting
// its broker property is named beside it; where Kafka has no limit (group count, member
// metadata size) the limit exists because a small device must bound its memory.
import { assert } from '../../../shared/errors.ts';

export interface GroupCoordinatorConfig {
  /**
   * group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits
   * for more members, so that consumers started together get one assignment instead of
   * one rebalance each. Kafka's default is 3 s; a device's local consumers usually start
   * together or alone, so a shorter wait keeps start-up quick.
   */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms: shorter sessions would expire members on ordinary pauses (GC, flash stalls). */
  sessionTimeoutMsMin: number;
  /** group.max.session.timeout.ms: a dead member holds its partitions for at most this long. */
  sessionTimeoutMsMax: number;
  /**
   * How long a new member may wait in a pending JoinGroup before it is dropped (Kafka's
   * NewMemberJoinTimeoutMs). A new member cannot heartbeat yet, so its session timeout
   * cannot find it gone; without this a client that gave up would be waited for forever.
   */
  newMemberJoinTimeoutMs: number;
  /** group.max.size: members (and members-to-be awaiting their id) of one group. */
  membersPerGroupMax: number;
  /** Members across all groups: each holds its metadata, its assignment and a timer. */
  membersTotalMax: number;
  /** Groups known to the coordinator, live or remembered for their committed offsets. */
  groupsMax: number;
  /** Bytes of one member's protocol names and metadata in a JoinGroup; the leader receives every member's. */
  memberMetadataBytesMax: number;
  /** Bytes of one member's assignment in a SyncGroup; kept in memory for the generation. */
  memberAssignmentBytesMax: number;
  /** offset.metadata.max.bytes: characters of the metadata string stored with a committed offset. */
  offsetMetadataLengthMax: number;
  /** Characters of a group id; group ids are keys in memory and in the database. */
  groupIdLengthMax: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = Object.freeze({
  initialRebalanceDelayMs: 300,
  sessionTimeoutMsMin: 6_000,
  sessionTimeoutMsMax: 1_800_000,
  newMemberJoinTimeoutMs: 5 * 60_000,
  membersPerGroupMax: 100,
  membersTotalMax: 1_000,
  groupsMax: 1_000,
  memberMetadataBytesMax: 32 * 1024,
  memberAssignmentBytesMax: 32 * 1024,
  offsetMetadataLengthMax: 4_096,
  groupIdLengthMax: 1_024,
});

/**
 * Fills in defaults. The daemon's configuration schema validates what a user writes, so a
 * bad value here is a programmer error.
 */
export function resolveGroupCoordinatorConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...overrides };
  for (const [key, value] of Object.entries(config)) {
    assert(Number.isSafeInteger(value) && value >= 0, `group coordinator setting ${key} must be a non-negative integer, got ${value}`);
  }
  assert(config.sessionTimeoutMsMin <= config.sessionTimeoutMsMax, 'sessionTimeoutMsMin must not exceed sessionTimeoutMsMax');
  return config;
}
