// What the group coordinator's unit tests share: a coordinator on a temporary data
// directory with short timers, and the requests of the classic group protocol as the server
// decodes them.
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroupCoordinatorConfig } from '../../../../edge/kafka/groups/config.ts';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../../../edge/kafka/groups/coordinator.ts';
import { ErrorCode as E } from '../../../../shared/kafka/protocol/error-codes.ts';
import type { RequestContext } from '../../../../edge/kafka/groups/coordinator.ts';
import type { JoinAnswer, SyncAnswer } from '../../../../edge/kafka/groups/group.ts';
import type { JoinGroupRequest } from '../../../../shared/kafka/apis/join-group.ts';
import type { LeaveGroupRequest } from '../../../../shared/kafka/apis/leave-group.ts';
import type { OffsetCommitRequest } from '../../../../shared/kafka/apis/offset-commit.ts';
import type { SyncGroupRequest } from '../../../../shared/kafka/apis/sync-group.ts';

// Short timers so that rebalances and expiries happen within a test; tests wait for the
// coordinator's events, never for a fixed time.
export const TEST_CONFIG: Partial<GroupCoordinatorConfig> = {
  initialRebalanceDelayMs: 10,
  sessionTimeoutMsMin: 50,
  sessionTimeoutMsMax: 60_000,
};
export const LONG_SESSION_MS = 30_000;

export const opened: GroupCoordinator[] = [];
export const directories: string[] = [];

export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-'));
  directories.push(directory);
  return directory;
}

export async function openCoordinator(config: Partial<GroupCoordinatorConfig> = {}, options: Partial<GroupCoordinatorOptions> = {}): Promise<GroupCoordinator> {
  const coordinator = await GroupCoordinator.open({ dataDir: options.dataDir ?? temporaryDirectory(), ...options, config: { ...TEST_CONFIG, ...config } });
  opened.push(coordinator);
  return coordinator;
}

/** Closes the coordinators opened since the last call (after each test). */
export async function closeOpened(): Promise<void> {
  for (const coordinator of opened.splice(0)) await coordinator.close();
}

/** Removes the directories made (after the last test). */
export function removeDirectories(): void {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

export function context(apiVersion = 5, clientId = 'app'): RequestContext {
  return { apiVersion, clientId, clientHost: '/127.0.0.1' };
}

export const bytes = (text: string): Buffer => Buffer.from(text);

export interface JoinOptions {
  memberId?: string;
  groupInstanceId?: string | null;
  protocols?: string[];
  protocolType?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  metadata?: Buffer;
}

export function joinRequest(groupId: string, options: JoinOptions = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: options.sessionTimeoutMs ?? LONG_SESSION_MS,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? LONG_SESSION_MS,
    memberId: options.memberId ?? '',
    groupInstanceId: options.groupInstanceId ?? null,
    protocolType: options.protocolType ?? 'consumer',
    protocols: (options.protocols ?? ['range']).map((name) => ({ name, metadata: options.metadata ?? bytes(`${name}-metadata`) })),
    reason: null,
  };
}

/** A SyncGroup request as the server decodes it: what a version lacks takes Kafka's default. */
export function syncRequest(fields: Pick<SyncGroupRequest, 'groupId' | 'generationId' | 'memberId' | 'assignments'> & Partial<SyncGroupRequest>): SyncGroupRequest {
  return { groupInstanceId: null, protocolType: null, protocolName: null, ...fields };
}

/** A LeaveGroup request as the server decodes it: one member (v0–2) or a batch (v3+). */
export function leaveRequest(fields: { groupId: string; memberId?: string; members?: Array<{ memberId: string; groupInstanceId: string | null }> }): LeaveGroupRequest {
  return { groupId: fields.groupId, memberId: fields.memberId ?? '', members: (fields.members ?? []).map((member) => ({ ...member, reason: null })) };
}

/** KIP-394: a v4+ member first asks for an id; returns it. */
export async function memberIdFor(coordinator: GroupCoordinator, groupId: string, options: JoinOptions = {}): Promise<string> {
  const response = await coordinator.joinGroup(joinRequest(groupId, options), context());
  assert.is(response.errorCode, E.MEMBER_ID_REQUIRED);
  assert.ok(response.memberId.startsWith('app-'), 'the member id starts with the client id');
  return response.memberId;
}

/** Joins n dynamic members at once and returns their JoinGroup responses, leader first. */
export async function joinMembers(coordinator: GroupCoordinator, groupId: string, count: number, options: JoinOptions = {}): Promise<JoinAnswer[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) ids.push(await memberIdFor(coordinator, groupId, options));
  const responses = await Promise.all(ids.map((memberId) => coordinator.joinGroup(joinRequest(groupId, { ...options, memberId }), context())));
  return responses.sort((a, b) => (a.memberId === a.leader ? -1 : b.memberId === b.leader ? 1 : 0));
}

/** Sends every member's SyncGroup, the leader's last, assigning `assignment-<index>`. */
export async function syncAll(coordinator: GroupCoordinator, groupId: string, joined: JoinAnswer[]): Promise<SyncAnswer[]> {
  const [leader, ...followers] = joined;
  const followerSyncs = followers.map((member) => coordinator.syncGroup(syncRequest({ groupId, generationId: member.generationId, memberId: member.memberId, groupInstanceId: null, assignments: [] })));
  const leaderSync = coordinator.syncGroup(syncRequest({
    groupId,
    generationId: leader!.generationId,
    memberId: leader!.memberId,
    groupInstanceId: null,
    assignments: leader!.members.map((member, index) => ({ memberId: member.memberId, assignment: bytes(`assignment-${member.memberId}-${index}`) })),
  }));
  return Promise.all([leaderSync, ...followerSyncs]);
}

export function heartbeat(coordinator: GroupCoordinator, groupId: string, member: { memberId: string; generationId: number }): number {
  return coordinator.heartbeat({ groupId, generationId: member.generationId, memberId: member.memberId, groupInstanceId: null }).errorCode;
}

export function commit(groupId: string, generationId: number, memberId: string, offsets: Array<[string, number, bigint]>, metadata: string | null = null): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...new Set(offsets.map(([topic]) => topic))].map((name) => ({
      name,
      partitions: offsets.filter(([topic]) => topic === name).map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: metadata })),
    })),
  };
}
