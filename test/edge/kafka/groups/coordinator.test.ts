import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { ErrorCode as E } from '../../../../shared/kafka/protocol/error-codes.ts';
import {
  bytes, closeOpened, commit, context, heartbeat, joinMembers, joinRequest, leaveRequest, LONG_SESSION_MS, memberIdFor,
  openCoordinator, removeDirectories, syncAll, syncRequest, temporaryDirectory,
} from './support.ts';

test.after.each(closeOpened);
test.after(removeDirectories);
// --- Join, sync, heartbeat ----------------------------------------------------------------

test('one member: member id required, join, sync, heartbeat, describe', async () => {
  const coordinator = await openCoordinator();
  const memberId = await memberIdFor(coordinator, 'solo');
  const joined = await coordinator.joinGroup(joinRequest('solo', { memberId }), context());
  assert.is(joined.errorCode, E.NONE);
  assert.is(joined.generationId, 1);
  assert.is(joined.leader, memberId);
  assert.is(joined.protocolName, 'range');
  assert.is(joined.protocolType, 'consumer');
  assert.equal(joined.members.map((member) => member.memberId), [memberId]);
  assert.equal(joined.members[0]!.metadata, bytes('range-metadata'));

  const synced = await coordinator.syncGroup(syncRequest({ groupId: 'solo', generationId: 1, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment: bytes('all partitions') }] }));
  assert.is(synced.errorCode, E.NONE);
  assert.equal(synced.assignment, bytes('all partitions'));
  assert.is(heartbeat(coordinator, 'solo', joined), E.NONE);

  const [described] = coordinator.describeGroups({ groups: ['solo'] }).groups;
  assert.is(described!.groupState, 'Stable');
  assert.is(described!.protocolData, 'range');
  assert.is(described!.members[0]!.clientHost, '/127.0.0.1');
  assert.equal(described!.members[0]!.memberAssignment, bytes('all partitions'));
  assert.equal(described!.members[0]!.memberMetadata, bytes('range-metadata'));
});

test('JoinGroup before v4 gets a member id directly', async () => {
  const coordinator = await openCoordinator();
  const joined = await coordinator.joinGroup(joinRequest('old-client'), context(3, 'legacy'));
  assert.is(joined.errorCode, E.NONE);
  assert.ok(joined.memberId.startsWith('legacy-'));
  assert.is(joined.leader, joined.memberId);
});

test('three members: the leader gets everyone, followers wait for the leader and get their own assignment', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'trio', 3);
  const [leader, ...followers] = joined;
  assert.ok(joined.every((member) => member.errorCode === E.NONE && member.generationId === 1 && member.leader === leader!.memberId));
  assert.is(leader!.members.length, 3);
  assert.ok(followers.every((member) => member.members.length === 0));

  // Followers sync first and must wait for the leader.
  let followerAnswered = false;
  const followerSync = coordinator.syncGroup(syncRequest({ groupId: 'trio', generationId: 1, memberId: followers[0]!.memberId, groupInstanceId: null, assignments: [] })).then((response) => {
    followerAnswered = true;
    return response;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.not.ok(followerAnswered, 'a follower is answered only after the leader syncs');
  assert.is(coordinator.describeGroups({ groups: ['trio'] }).groups[0]!.groupState, 'CompletingRebalance');

  const synced = await syncAll(coordinator, 'trio', joined);
  const early = await followerSync;
  assert.is(early.errorCode, E.REBALANCE_IN_PROGRESS, 'a second SyncGroup from the same member replaces the first');
  for (const [index, response] of synced.entries()) {
    assert.is(response.errorCode, E.NONE);
    const position = leader!.members.findIndex((member) => member.memberId === joined[index]!.memberId);
    assert.equal(response.assignment, bytes(`assignment-${joined[index]!.memberId}-${position}`));
  }
  assert.is(coordinator.describeGroups({ groups: ['trio'] }).groups[0]!.groupState, 'Stable');
});

test('a JoinGroup repeated while the group completes its rebalance gets the same generation again', async () => {
  const coordinator = await openCoordinator();
  const [leader, follower] = await joinMembers(coordinator, 'repeat', 2);
  let rebalanced = false;
  coordinator.events.on('rebalanceStarted', () => { rebalanced = true; });
  // As a client does when it missed the JoinGroup response.
  const again = await coordinator.joinGroup(joinRequest('repeat', { memberId: follower!.memberId }), context());
  assert.equal([again.errorCode, again.generationId, again.leader, again.members], [E.NONE, 1, leader!.memberId, []]);
  const leaderAgain = await coordinator.joinGroup(joinRequest('repeat', { memberId: leader!.memberId }), context());
  assert.equal([leaderAgain.generationId, leaderAgain.members.length], [1, 2]);
  assert.not.ok(rebalanced);
  // Changed metadata is another matter: the group rebalances.
  const changed = coordinator.joinGroup(joinRequest('repeat', { memberId: follower!.memberId, metadata: bytes('new subscription') }), context());
  assert.ok(rebalanced);
  coordinator.joinGroup(joinRequest('repeat', { memberId: leader!.memberId }), context());
  assert.is((await changed).generationId, 2);
});

test('the chosen protocol is one every member supports', async () => {
  const coordinator = await openCoordinator();
  const first = await memberIdFor(coordinator, 'protocols', { protocols: ['cooperative-sticky', 'range'] });
  const second = await memberIdFor(coordinator, 'protocols', { protocols: ['roundrobin', 'range'] });
  const responses = await Promise.all([
    coordinator.joinGroup(joinRequest('protocols', { memberId: first, protocols: ['cooperative-sticky', 'range'] }), context()),
    coordinator.joinGroup(joinRequest('protocols', { memberId: second, protocols: ['roundrobin', 'range'] }), context()),
  ]);
  assert.ok(responses.every((response) => response.protocolName === 'range'));
});

// --- Rebalances -------------------------------------------------------------------------

test('a new member joining a stable group makes everyone rejoin into the next generation', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'growing', 2);
  await syncAll(coordinator, 'growing', joined);

  const newcomerId = await memberIdFor(coordinator, 'growing');
  const newcomerJoin = coordinator.joinGroup(joinRequest('growing', { memberId: newcomerId }), context());
  assert.is(coordinator.describeGroups({ groups: ['growing'] }).groups[0]!.groupState, 'PreparingRebalance');
  for (const member of joined) assert.is(heartbeat(coordinator, 'growing', member), E.REBALANCE_IN_PROGRESS);

  const rejoined = await Promise.all([newcomerJoin, ...joined.map((member) => coordinator.joinGroup(joinRequest('growing', { memberId: member.memberId }), context()))]);
  assert.ok(rejoined.every((response) => response.errorCode === E.NONE && response.generationId === 2));
  const leader = rejoined.find((response) => response.memberId === response.leader)!;
  assert.is(leader.members.length, 3);
  assert.is(leader.memberId, joined[0]!.memberId, 'the leader stays the leader');
});

test('a member that leaves makes the others rebalance; a leaving leader hands over', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'shrinking', 3);
  await syncAll(coordinator, 'shrinking', joined);
  const [leader, ...followers] = joined;

  const left = coordinator.leaveGroup(leaveRequest({ groupId: 'shrinking', members: [{ memberId: leader!.memberId, groupInstanceId: null }] }), { apiVersion: 3 });
  assert.is(left.errorCode, E.NONE);
  assert.equal(left.members, [{ memberId: leader!.memberId, groupInstanceId: null, errorCode: E.NONE }]);
  for (const member of followers) assert.is(heartbeat(coordinator, 'shrinking', member), E.REBALANCE_IN_PROGRESS);
  assert.is(heartbeat(coordinator, 'shrinking', leader!), E.UNKNOWN_MEMBER_ID);

  const rejoined = await Promise.all(followers.map((member) => coordinator.joinGroup(joinRequest('shrinking', { memberId: member.memberId }), context())));
  assert.ok(rejoined.every((response) => response.generationId === 2 && response.leader === followers[0]!.memberId));
  assert.is(rejoined.find((response) => response.memberId === response.leader)!.members.length, 2);
});

test('a member that stops heartbeating is removed after its session timeout and the group rebalances', async () => {
  const coordinator = await openCoordinator();
  const steadyId = await memberIdFor(coordinator, 'sessions');
  const silentId = await memberIdFor(coordinator, 'sessions');
  const joined = await Promise.all([
    coordinator.joinGroup(joinRequest('sessions', { memberId: steadyId, sessionTimeoutMs: LONG_SESSION_MS }), context()),
    coordinator.joinGroup(joinRequest('sessions', { memberId: silentId, sessionTimeoutMs: 100 }), context()),
  ]);
  const removed = once(coordinator.events, 'memberRemoved');
  await syncAll(coordinator, 'sessions', joined.sort((a) => (a.memberId === a.leader ? -1 : 1)));

  const [event] = await removed;
  assert.equal(event, { groupId: 'sessions', memberId: silentId, reason: 'session-timeout' });
  assert.is(heartbeat(coordinator, 'sessions', joined.find((member) => member.memberId === steadyId)!), E.REBALANCE_IN_PROGRESS);
  const rejoined = await coordinator.joinGroup(joinRequest('sessions', { memberId: steadyId }), context());
  assert.is(rejoined.generationId, 2);
  assert.equal(rejoined.members.map((member) => member.memberId), [steadyId]);
});

test('a member that does not rejoin within the rebalance timeout is dropped from the rebalance', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'laggard', 2, { rebalanceTimeoutMs: 100 });
  await syncAll(coordinator, 'laggard', joined);
  const [stayer, laggard] = joined;
  const removed = once(coordinator.events, 'memberRemoved');
  // The leader rejoins (forcing a rebalance); the other never does.
  const rejoin = coordinator.joinGroup(joinRequest('laggard', { memberId: stayer!.memberId, rebalanceTimeoutMs: 100 }), context());
  const [event] = await removed;
  assert.equal(event, { groupId: 'laggard', memberId: laggard!.memberId, reason: 'rebalance-timeout' });
  const response = await rejoin;
  assert.is(response.generationId, 2);
  assert.equal(response.members.map((member) => member.memberId), [stayer!.memberId]);
});

test('members that do not send SyncGroup in time are removed and the group rebalances', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'no-sync', 2, { rebalanceTimeoutMs: 100 });
  const [leader, follower] = joined;
  const removed = once(coordinator.events, 'memberRemoved');
  const leaderSync = await coordinator.syncGroup(syncRequest({ groupId: 'no-sync', generationId: 1, memberId: leader!.memberId, groupInstanceId: null, assignments: [] }));
  assert.is(leaderSync.errorCode, E.NONE);
  const [event] = await removed;
  assert.equal(event, { groupId: 'no-sync', memberId: follower!.memberId, reason: 'sync-timeout' });
  assert.is(heartbeat(coordinator, 'no-sync', leader!), E.REBALANCE_IN_PROGRESS);
});

test('the first rebalance of a group waits the initial delay for more members', async () => {
  const coordinator = await openCoordinator({ initialRebalanceDelayMs: 50 });
  const first = await memberIdFor(coordinator, 'delayed');
  const firstJoin = coordinator.joinGroup(joinRequest('delayed', { memberId: first }), context());
  // A second member arriving during the delay lands in the same first generation.
  const second = await memberIdFor(coordinator, 'delayed');
  const secondJoin = coordinator.joinGroup(joinRequest('delayed', { memberId: second }), context());
  const [a, b] = await Promise.all([firstJoin, secondJoin]);
  assert.is(a.generationId, 1);
  assert.is(b.generationId, 1);
  assert.is(a.members.length + b.members.length, 2);
});

// --- Error codes ----------------------------------------------------------------------

test('wrong generation, unknown member and inconsistent protocol are refused as Kafka does', async () => {
  const coordinator = await openCoordinator();
  const [member] = await joinMembers(coordinator, 'strict', 1);
  await syncAll(coordinator, 'strict', [member!]);

  assert.is(heartbeat(coordinator, 'strict', { memberId: member!.memberId, generationId: 0 }), E.ILLEGAL_GENERATION);
  assert.is(heartbeat(coordinator, 'strict', { memberId: 'nobody', generationId: 1 }), E.UNKNOWN_MEMBER_ID);
  assert.is(heartbeat(coordinator, 'no-such-group', { memberId: member!.memberId, generationId: 1 }), E.UNKNOWN_MEMBER_ID);
  assert.is((await coordinator.syncGroup(syncRequest({ groupId: 'strict', generationId: 7, memberId: member!.memberId, groupInstanceId: null, assignments: [] }))).errorCode, E.ILLEGAL_GENERATION);
  assert.is((await coordinator.syncGroup(syncRequest({ groupId: 'strict', generationId: 1, memberId: member!.memberId, groupInstanceId: null, protocolName: 'roundrobin', assignments: [] }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assert.is((await coordinator.joinGroup(joinRequest('strict', { memberId: 'stranger' }), context())).errorCode, E.UNKNOWN_MEMBER_ID);
  assert.is((await coordinator.joinGroup(joinRequest('no-such-group', { memberId: 'stranger' }), context())).errorCode, E.UNKNOWN_MEMBER_ID);
  // No protocol in common, and another protocol type.
  assert.is((await coordinator.joinGroup(joinRequest('strict', { protocols: ['roundrobin'] }), context())).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assert.is((await coordinator.joinGroup(joinRequest('strict', { protocolType: 'connect' }), context())).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assert.is((await coordinator.joinGroup(joinRequest('empty-protocols', { protocols: [] }), context())).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assert.is(coordinator.listGroups().groups.length, 1, 'a group that no one could join is not kept');
  // Bounds and names.
  assert.is((await coordinator.joinGroup(joinRequest('strict', { sessionTimeoutMs: 10 }), context())).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.is((await coordinator.joinGroup(joinRequest('strict', { sessionTimeoutMs: 120_000 }), context())).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.is((await coordinator.joinGroup(joinRequest(''), context())).errorCode, E.INVALID_GROUP_ID);
  assert.is(heartbeat(coordinator, '', member!), E.INVALID_GROUP_ID);
});

test('SyncGroup and OffsetCommit during a rebalance answer REBALANCE_IN_PROGRESS', async () => {
  const coordinator = await openCoordinator();
  const joined = await joinMembers(coordinator, 'busy', 2);
  await syncAll(coordinator, 'busy', joined);
  const [leader, follower] = joined;
  const rejoin = coordinator.joinGroup(joinRequest('busy', { memberId: leader!.memberId }), context());
  const sync = await coordinator.syncGroup(syncRequest({ groupId: 'busy', generationId: 1, memberId: follower!.memberId, groupInstanceId: null, assignments: [] }));
  assert.is(sync.errorCode, E.REBALANCE_IN_PROGRESS);
  // Commits are still accepted while the group prepares a rebalance (Kafka does the same).
  const committed = await coordinator.commitOffsets(commit('busy', 1, follower!.memberId, [['t', 0, 5n]]));
  assert.is(committed.topics[0]!.partitions[0]!.errorCode, E.NONE);

  const followerRejoin = coordinator.joinGroup(joinRequest('busy', { memberId: follower!.memberId }), context());
  const [newLeader] = await Promise.all([rejoin, followerRejoin]);
  assert.is(newLeader.generationId, 2);
  const completing = await coordinator.commitOffsets(commit('busy', 2, follower!.memberId, [['t', 0, 6n]]));
  assert.is(completing.topics[0]!.partitions[0]!.errorCode, E.REBALANCE_IN_PROGRESS);
});

test('LeaveGroup: v0 single member, v3 batch, static member by instance id', async () => {
  const coordinator = await openCoordinator();
  assert.is(coordinator.leaveGroup(leaveRequest({ groupId: 'absent', memberId: 'nobody' }), { apiVersion: 0 }).errorCode, E.UNKNOWN_MEMBER_ID);
  const joined = await joinMembers(coordinator, 'leavers', 2);
  await syncAll(coordinator, 'leavers', joined);
  const single = coordinator.leaveGroup(leaveRequest({ groupId: 'leavers', memberId: 'nobody' }), { apiVersion: 1 });
  assert.is(single.errorCode, E.UNKNOWN_MEMBER_ID, 'v0–2 carry the member error at the top level');

  const batch = coordinator.leaveGroup(
    leaveRequest({ groupId: 'leavers', members: joined.map((member) => ({ memberId: member.memberId, groupInstanceId: null })).concat([{ memberId: 'ghost', groupInstanceId: null }]) }),
    { apiVersion: 3 },
  );
  assert.is(batch.errorCode, E.NONE);
  assert.equal(batch.members.map((member) => member.errorCode), [E.NONE, E.NONE, E.UNKNOWN_MEMBER_ID]);
  assert.equal(coordinator.listGroups().groups, [], 'an empty group without offsets is forgotten');

  const staticJoin = await coordinator.joinGroup(joinRequest('statics', { groupInstanceId: 'sensor-reader-1' }), context(5));
  assert.is(staticJoin.errorCode, E.NONE, 'a static member gets its id without a second round trip');
  const byInstance = coordinator.leaveGroup(leaveRequest({ groupId: 'statics', members: [{ memberId: '', groupInstanceId: 'sensor-reader-1' }] }), { apiVersion: 4 });
  assert.equal(byInstance.members, [{ memberId: '', groupInstanceId: 'sensor-reader-1', errorCode: E.NONE }]);
});

test('a static member that restarts keeps its place without a rebalance and fences its old id', async () => {
  const coordinator = await openCoordinator();
  // Static members (v5+) get their id at once; both land in the first generation.
  const joined = await Promise.all(['reader-a', 'reader-b'].map((instance) => coordinator.joinGroup(joinRequest('static', { groupInstanceId: instance }), context(5))));
  assert.ok(joined.every((response) => response.errorCode === E.NONE && response.generationId === 1));
  const [leader, follower] = joined.sort((a) => (a.memberId === a.leader ? -1 : 1));
  await syncAll(coordinator, 'static', [leader!, follower!]);
  const instanceOf = (memberId: string): string => leader!.members.find((member) => member.memberId === memberId)!.groupInstanceId!;
  let rebalanced = false;
  coordinator.events.on('rebalanceStarted', () => { rebalanced = true; });

  // The follower's instance restarts: it has lost its member id but not its instance id.
  const followerInstance = instanceOf(follower!.memberId);
  const restarted = await coordinator.joinGroup(joinRequest('static', { groupInstanceId: followerInstance }), context(5));
  assert.is(restarted.errorCode, E.NONE);
  assert.is(restarted.generationId, 1, 'no new generation');
  assert.is.not(restarted.memberId, follower!.memberId);
  assert.is(restarted.leader, leader!.memberId);
  assert.is(coordinator.describeGroups({ groups: ['static'] }).groups[0]!.groupState, 'Stable');
  assert.is(coordinator.heartbeat({ groupId: 'static', generationId: 1, memberId: follower!.memberId, groupInstanceId: followerInstance }).errorCode, E.FENCED_INSTANCE_ID);
  assert.is(coordinator.heartbeat({ groupId: 'static', generationId: 1, memberId: restarted.memberId, groupInstanceId: followerInstance }).errorCode, E.NONE);
  const sync = await coordinator.syncGroup(syncRequest({ groupId: 'static', generationId: 1, memberId: restarted.memberId, groupInstanceId: followerInstance, assignments: [] }));
  assert.is(sync.errorCode, E.NONE);
  assert.ok(sync.assignment.byteLength > 0, 'the restarted member keeps its assignment');

  // The leader restarts with JoinGroup v9: it leads, but is told to skip the assignment (KIP-345).
  const leaderRestart = await coordinator.joinGroup(joinRequest('static', { groupInstanceId: instanceOf(leader!.memberId) }), context(9));
  assert.is(leaderRestart.leader, leaderRestart.memberId);
  assert.is(leaderRestart.skipAssignment, true);
  assert.is(leaderRestart.members.length, 2);
  assert.not.ok(rebalanced, 'no restart caused a rebalance');
});

// --- Offsets -----------------------------------------------------------------------------

test('offsets: member commits, stale generations are refused, fetch answers -1 for the missing', async () => {
  const coordinator = await openCoordinator();
  const [member] = await joinMembers(coordinator, 'committers', 1);
  await syncAll(coordinator, 'committers', [member!]);

  const committed = await coordinator.commitOffsets(commit('committers', 1, member!.memberId, [['readings', 0, 42n], ['readings', 1, 7n], ['alerts', 0, 2n ** 40n]], 'checkpoint'));
  assert.ok(committed.topics.flatMap((topic) => topic.partitions).every((partition) => partition.errorCode === E.NONE));
  const stale = await coordinator.commitOffsets(commit('committers', 0, member!.memberId, [['readings', 0, 50n]]));
  assert.is(stale.topics[0]!.partitions[0]!.errorCode, E.ILLEGAL_GENERATION);
  const stranger = await coordinator.commitOffsets(commit('committers', 1, 'stranger', [['readings', 0, 50n]]));
  assert.is(stranger.topics[0]!.partitions[0]!.errorCode, E.UNKNOWN_MEMBER_ID);
  const outsider = await coordinator.commitOffsets(commit('committers', -1, '', [['readings', 0, 50n]]));
  assert.is(outsider.topics[0]!.partitions[0]!.errorCode, E.UNKNOWN_MEMBER_ID, 'only members commit for a group that has members');
  const oldGeneration = await coordinator.commitOffsets(commit('never-existed', 3, 'someone', [['readings', 0, 1n]]));
  assert.is(oldGeneration.topics[0]!.partitions[0]!.errorCode, E.ILLEGAL_GENERATION);

  const fetched = coordinator.fetchOffsets({ groupId: 'committers', topics: [{ name: 'readings', partitionIndexes: [0, 1, 9] }] });
  assert.is(fetched.errorCode, E.NONE);
  assert.equal(fetched.topics[0]!.partitions, [
    { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'checkpoint', errorCode: E.NONE },
    { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 3, metadata: 'checkpoint', errorCode: E.NONE },
    { partitionIndex: 9, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE },
  ]);
  const all = coordinator.fetchOffsets({ groupId: 'committers', topics: null });
  assert.equal(all.topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.committedOffset)]), [['alerts', [2n ** 40n]], ['readings', [42n, 7n]]]);
  assert.equal(coordinator.fetchOffsets({ groupId: 'nobody', topics: null }).topics, []);
});

test('offsets: a standalone commit (generation -1) creates an Empty group', async () => {
  const coordinator = await openCoordinator();
  const response = await coordinator.commitOffsets(commit('manual', -1, '', [['readings', 0, 10n]]));
  assert.is(response.topics[0]!.partitions[0]!.errorCode, E.NONE);
  assert.equal(coordinator.listGroups().groups, [{ groupId: 'manual', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
  assert.is(coordinator.fetchOffsets({ groupId: 'manual', topics: null }).topics[0]!.partitions[0]!.committedOffset, 10n);
});

test('offsets and the last generation survive close and reopen: the member heartbeats and commits on', async () => {
  const dataDir = temporaryDirectory();
  const first = await openCoordinator({}, { dataDir });
  const [member] = await joinMembers(first, 'durable', 1);
  const [synced] = await syncAll(first, 'durable', [member!]);
  await first.commitOffsets(commit('durable', 1, member!.memberId, [['readings', 0, 100n], ['readings', 3, 300n]], 'm'));
  await first.close();

  const second = await openCoordinator({}, { dataDir });
  assert.equal(second.listGroups().groups, [{ groupId: 'durable', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);
  const fetched = second.fetchOffsets({ groupId: 'durable', topics: null });
  assert.equal(fetched.topics[0]!.partitions.map((partition) => [partition.partitionIndex, partition.committedOffset, partition.metadata, partition.committedLeaderEpoch]), [[0, 100n, 'm', 3], [3, 300n, 'm', 3]]);
  // The member carries on under its id and generation, with the assignment it was given.
  assert.is(heartbeat(second, 'durable', member!), E.NONE);
  assert.is((await second.commitOffsets(commit('durable', 1, member!.memberId, [['readings', 0, 101n]]))).topics[0]!.partitions[0]!.errorCode, E.NONE);
  const [described] = second.describeGroups({ groups: ['durable'], includeAuthorizedOperations: false }).groups;
  assert.equal(described!.members.map((entry) => [entry.memberId, Buffer.from(entry.memberAssignment).toString()]), [[member!.memberId, synced!.assignment.toString()]]);
});

test('offset commits check partitions and metadata length', async () => {
  const coordinator = await openCoordinator({ offsetMetadataLengthMax: 8 }, { partitionExists: (topic, partition) => topic === 'readings' && partition < 2 });
  const response = await coordinator.commitOffsets({
    groupId: 'checked',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      { name: 'readings', partitions: [
        { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'short' },
        { partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'far too long' },
        { partitionIndex: 5, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null },
      ] },
      { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
    ],
  });
  assert.equal(response.topics.map((topic) => topic.partitions.map((partition) => partition.errorCode)), [[E.NONE, E.OFFSET_METADATA_TOO_LARGE, E.UNKNOWN_TOPIC_OR_PARTITION], [E.UNKNOWN_TOPIC_OR_PARTITION]]);
  assert.equal(coordinator.fetchOffsets({ groupId: 'checked', topics: null }).topics.map((topic) => topic.partitions.map((partition) => partition.partitionIndex)), [[0]]);
});

// --- Listing, describing, deleting ----------------------------------------------------------

test('ListGroups filters by state and type; DescribeGroups of an unknown group says Dead', async () => {
  const coordinator = await openCoordinator();
  const [member] = await joinMembers(coordinator, 'listed', 1);
  await syncAll(coordinator, 'listed', [member!]);
  await coordinator.commitOffsets(commit('parked', -1, '', [['t', 0, 1n]]));
  assert.equal(coordinator.listGroups({ statesFilter: ['STABLE'] }).groups.map((group) => group.groupId), ['listed']);
  assert.equal(coordinator.listGroups({ statesFilter: ['Empty', 'Stable'] }).groups.map((group) => group.groupId).sort(), ['listed', 'parked']);
  assert.equal(coordinator.listGroups({ typesFilter: ['consumer'] }).groups, []);
  assert.is(coordinator.listGroups({ typesFilter: ['Classic'] }).groups.length, 2);
  const [unknown, empty] = coordinator.describeGroups({ groups: ['unknown', 'parked'], includeAuthorizedOperations: true }).groups;
  assert.equal({ state: unknown!.groupState, error: unknown!.errorCode, members: unknown!.members }, { state: 'Dead', error: E.NONE, members: [] });
  assert.is(empty!.groupState, 'Empty');
  assert.ok(empty!.authorizedOperations > 0);
});

test('deleteGroups removes an empty group and its offsets, refuses a group with members', async () => {
  const dataDir = temporaryDirectory();
  const coordinator = await openCoordinator({}, { dataDir });
  const [member] = await joinMembers(coordinator, 'busy', 1);
  await coordinator.commitOffsets(commit('idle', -1, '', [['t', 0, 1n]]));
  const { results } = await coordinator.deleteGroups(['busy', 'idle', 'unknown']);
  assert.equal(results, [
    { groupId: 'busy', errorCode: E.NON_EMPTY_GROUP, errorMessage: 'the group has members; stop its consumers first' },
    { groupId: 'idle', errorCode: E.NONE, errorMessage: null },
    { groupId: 'unknown', errorCode: E.GROUP_ID_NOT_FOUND, errorMessage: 'no such group' },
  ]);
  assert.equal(coordinator.fetchOffsets({ groupId: 'idle', topics: null }).topics, []);
  assert.ok(member);
  await coordinator.close();
  // The deleted group is gone for good; the busy one comes back with its member, rebalancing as it was.
  const reopened = await openCoordinator({}, { dataDir });
  assert.equal(reopened.listGroups().groups, [{ groupId: 'busy', protocolType: 'consumer', groupState: 'PreparingRebalance', groupType: 'classic' }]);
});

/** A consumer's JoinGroup metadata (ConsumerProtocolSubscription v0): version, topics, user data. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const topic of topics) {
    const name = Buffer.from(topic);
    const length = Buffer.alloc(2);
    length.writeInt16BE(name.length);
    parts.push(length, name);
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

test('deleteOffsets (KIP-496): an empty group loses the offsets named; a live group keeps those of topics it consumes', async () => {
  const dataDir = temporaryDirectory();
  const coordinator = await openCoordinator({}, { dataDir });
  await coordinator.commitOffsets(commit('idle', -1, '', [['a', 0, 1n], ['a', 1, 2n], ['b', 0, 3n]]));
  const idle = await coordinator.deleteOffsets({ groupId: 'idle', topics: [{ name: 'a', partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] }] });
  assert.equal(idle, { errorCode: E.NONE, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, errorCode: E.NONE }, { partitionIndex: 7, errorCode: E.NONE }] }] });
  assert.equal(coordinator.fetchOffsets({ groupId: 'idle', topics: null }).topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.partitionIndex)]), [['a', [1]], ['b', [0]]]);

  const [member] = await joinMembers(coordinator, 'live', 1, { metadata: subscription(['a']) });
  await syncAll(coordinator, 'live', [member!]);
  await coordinator.commitOffsets(commit('live', member!.generationId, member!.memberId, [['a', 0, 5n], ['b', 0, 6n]]));
  const live = await coordinator.deleteOffsets({ groupId: 'live', topics: [{ name: 'a', partitions: [{ partitionIndex: 0 }] }, { name: 'b', partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(live.topics.map((topic) => [topic.name, topic.partitions[0]!.errorCode]), [['a', E.GROUP_SUBSCRIBED_TO_TOPIC], ['b', E.NONE]]);
  assert.equal(coordinator.fetchOffsets({ groupId: 'live', topics: null }).topics.map((topic) => topic.name), ['a']);

  const [unreadable] = await joinMembers(coordinator, 'opaque', 1, { metadata: Buffer.from([1]) });
  await syncAll(coordinator, 'opaque', [unreadable!]);
  const opaque = await coordinator.deleteOffsets({ groupId: 'opaque', topics: [{ name: 'c', partitions: [{ partitionIndex: 0 }] }] });
  assert.is(opaque.topics[0]!.partitions[0]!.errorCode, E.GROUP_SUBSCRIBED_TO_TOPIC, 'a subscription that cannot be read counts as every topic');
  const [other] = await joinMembers(coordinator, 'connect', 1, { protocolType: 'connect' });
  await syncAll(coordinator, 'connect', [other!]);
  assert.is((await coordinator.deleteOffsets({ groupId: 'connect', topics: [] })).errorCode, E.NON_EMPTY_GROUP);
  assert.is((await coordinator.deleteOffsets({ groupId: 'nobody', topics: [] })).errorCode, E.GROUP_ID_NOT_FOUND);

  // Deleting a group's last offsets forgets the group, durably.
  await coordinator.deleteOffsets({ groupId: 'idle', topics: [{ name: 'a', partitions: [{ partitionIndex: 1 }] }, { name: 'b', partitions: [{ partitionIndex: 0 }] }] });
  assert.not.ok(coordinator.listGroups().groups.some((group) => group.groupId === 'idle'));
  await coordinator.close();
  const reopened = await openCoordinator({}, { dataDir });
  assert.equal(reopened.fetchOffsets({ groupId: 'live', topics: null }).topics.map((topic) => topic.name), ['a']);
  assert.not.ok(reopened.listGroups().groups.some((group) => group.groupId === 'idle'));
});

// --- Limits -----------------------------------------------------------------------------

test('limits: members per group, members in total, groups, metadata and assignment size', async () => {
  const coordinator = await openCoordinator({ membersPerGroupMax: 2, membersTotalMax: 3, groupsMax: 2, memberMetadataBytesMax: 64, memberAssignmentBytesMax: 16 });
  const joined = await joinMembers(coordinator, 'full', 2);
  assert.is((await coordinator.joinGroup(joinRequest('full'), context())).errorCode, E.GROUP_MAX_SIZE_REACHED);
  // A third member elsewhere is within the total; a fourth is not.
  const other = await memberIdFor(coordinator, 'other');
  assert.ok(other);
  assert.is((await coordinator.joinGroup(joinRequest('other'), context())).errorCode, E.GROUP_MAX_SIZE_REACHED);
  assert.is((await coordinator.joinGroup(joinRequest('third-group'), context())).errorCode, E.COORDINATOR_NOT_AVAILABLE);
  assert.is((await coordinator.commitOffsets(commit('third-group', -1, '', [['t', 0, 1n]]))).topics[0]!.partitions[0]!.errorCode, E.COORDINATOR_NOT_AVAILABLE);
  assert.is((await coordinator.joinGroup(joinRequest('other', { metadata: Buffer.alloc(65) }), context())).errorCode, E.MESSAGE_TOO_LARGE);

  const [leader, follower] = joined;
  const followerSync = coordinator.syncGroup(syncRequest({ groupId: 'full', generationId: 1, memberId: follower!.memberId, groupInstanceId: null, assignments: [] }));
  const leaderSync = await coordinator.syncGroup(syncRequest({ groupId: 'full', generationId: 1, memberId: leader!.memberId, groupInstanceId: null, assignments: [{ memberId: follower!.memberId, assignment: Buffer.alloc(17) }] }));
  assert.is(leaderSync.errorCode, E.MESSAGE_TOO_LARGE);
  assert.is((await followerSync).errorCode, E.MESSAGE_TOO_LARGE);
  assert.is(coordinator.describeGroups({ groups: ['full'] }).groups[0]!.groupState, 'PreparingRebalance');
});

test('pending member ids (KIP-394) count against the group limit and expire', async () => {
  const coordinator = await openCoordinator({ membersPerGroupMax: 1 });
  const pending = await memberIdFor(coordinator, 'pending', { sessionTimeoutMs: 60 });
  assert.is((await coordinator.joinGroup(joinRequest('pending'), context())).errorCode, E.GROUP_MAX_SIZE_REACHED);
  // The pending id is forgotten after its session timeout; the group with it.
  const [removed] = await once(coordinator.events, 'groupRemoved');
  assert.equal(removed, { groupId: 'pending', reason: 'empty' });
  assert.equal(coordinator.listGroups().groups, []);
  assert.is((await coordinator.joinGroup(joinRequest('pending', { memberId: pending }), context())).errorCode, E.UNKNOWN_MEMBER_ID);
});

// --- Shutdown ---------------------------------------------------------------------------

test('close answers waiting requests with NOT_COORDINATOR, refuses new ones and leaves no timers', async () => {
  const coordinator = await openCoordinator({ initialRebalanceDelayMs: 60_000 });
  const memberId = await memberIdFor(coordinator, 'closing');
  const waiting = coordinator.joinGroup(joinRequest('closing', { memberId }), context());
  await coordinator.close();
  assert.is((await waiting).errorCode, E.NOT_COORDINATOR);
  assert.is((await coordinator.joinGroup(joinRequest('closing'), context())).errorCode, E.COORDINATOR_NOT_AVAILABLE);
  assert.is(coordinator.heartbeat({ groupId: 'closing', generationId: 1, memberId, groupInstanceId: null }).errorCode, E.COORDINATOR_NOT_AVAILABLE);
  assert.is(coordinator.isActive, false);
  assert.equal(process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout'), [], 'every timer was stopped');
});

test.run();
