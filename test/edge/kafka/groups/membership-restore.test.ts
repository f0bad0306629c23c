// A classic group's membership across a coordinator restart, as Kafka's GroupMetadata
// records carry it across a coordinator failover: members keep their ids and generation,
// a member that left is not brought back, and members that do not come back lose their
// sessions a session timeout after the restart, as after Kafka's load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { ErrorCode as E } from '../../../../shared/kafka/protocol/error-codes.ts';
import { closeOpened, commit, context, heartbeat, joinMembers, joinRequest, leaveRequest, openCoordinator, removeDirectories, syncAll, temporaryDirectory } from './support.ts';

test.after.each(closeOpened);
test.after(removeDirectories);

test('two members stay members across a restart: same ids, same generation, same leader, no rebalance', async () => {
  const dataDir = temporaryDirectory();
  const first = await openCoordinator({}, { dataDir });
  const joined = await joinMembers(first, 'pair', 2);
  await syncAll(first, 'pair', joined);
  await first.close();

  const second = await openCoordinator({}, { dataDir });
  let rebalances = 0;
  second.events.on('rebalanceStarted', () => { rebalances += 1; });
  for (const member of joined) assert.is(heartbeat(second, 'pair', member), E.NONE, `member ${member.memberId} heartbeats on`);
  assert.is((await second.commitOffsets(commit('pair', joined[1]!.generationId, joined[1]!.memberId, [['t', 0, 5n]]))).topics[0]!.partitions[0]!.errorCode, E.NONE);
  // A follower that rejoins with the metadata it has gets the current generation back, no rebalance.
  const rejoin = await second.joinGroup(joinRequest('pair', { memberId: joined[1]!.memberId }), context());
  assert.equal([rejoin.errorCode, rejoin.generationId, rejoin.leader], [E.NONE, joined[0]!.generationId, joined[0]!.memberId]);
  const [described] = second.describeGroups({ groups: ['pair'], includeAuthorizedOperations: false }).groups;
  assert.equal([described!.groupState, described!.protocolData, described!.members.map((member) => member.memberId).sort()], ['Stable', 'range', joined.map((member) => member.memberId).sort()]);
  assert.is(rebalances, 0);
});

test('a member that left before the restart does not come back; the one left rebalances alone', async () => {
  const dataDir = temporaryDirectory();
  const first = await openCoordinator({}, { dataDir });
  const [leader, follower] = await joinMembers(first, 'shrinking', 2);
  await syncAll(first, 'shrinking', [leader!, follower!]);
  const left = first.leaveGroup(leaveRequest({ groupId: 'shrinking', memberId: follower!.memberId }), { apiVersion: 1 });
  assert.is(left.errorCode, E.NONE);
  await first.close();

  const second = await openCoordinator({}, { dataDir });
  assert.is(heartbeat(second, 'shrinking', follower!), E.UNKNOWN_MEMBER_ID, 'the member that left is not resurrected');
  // The group was rebalancing when it stopped, and is again: the leader is told to rejoin and gets a new generation alone.
  assert.is(heartbeat(second, 'shrinking', leader!), E.REBALANCE_IN_PROGRESS);
  const rejoined = await second.joinGroup(joinRequest('shrinking', { memberId: leader!.memberId }), context());
  assert.equal([rejoined.errorCode, rejoined.memberId, rejoined.generationId, rejoined.members.map((member) => member.memberId)], [E.NONE, leader!.memberId, leader!.generationId + 1, [leader!.memberId]]);
});

test('members whose sessions lapse after the restart are removed a session timeout after it; the group rebalances to Empty and keeps its generation', async () => {
  const dataDir = temporaryDirectory();
  const sessionTimeoutMs = 200;
  const first = await openCoordinator({}, { dataDir });
  const [member] = await joinMembers(first, 'lapsed', 1, { sessionTimeoutMs, rebalanceTimeoutMs: sessionTimeoutMs });
  await syncAll(first, 'lapsed', [member!]);
  await first.commitOffsets(commit('lapsed', member!.generationId, member!.memberId, [['t', 0, 9n]]));
  await first.close();

  const second = await openCoordinator({}, { dataDir });
  const openedAtMs = Date.now();
  assert.equal(second.listGroups().groups.map((group) => group.groupState), ['Stable'], 'loaded as it was stored');
  // With no member left to wait for, the next generation starts in the same turn as the removal.
  const nextGeneration = once(second.events, 'generationStarted');
  const [removed] = await once(second.events, 'memberRemoved');
  assert.equal(removed, { groupId: 'lapsed', memberId: member!.memberId, reason: 'session-timeout' });
  // Not an assertion on speed: the timer runs from the load, so it cannot fire before one session has passed.
  assert.ok(Date.now() - openedAtMs >= sessionTimeoutMs - 5, 'the session ran from the load');
  const [generation] = await nextGeneration;
  assert.equal(generation, { groupId: 'lapsed', generationId: member!.generationId + 1, memberIds: [] });
  await second.close();

  // The Empty group's generation outlives another restart: the next member joins the one after it.
  const third = await openCoordinator({}, { dataDir });
  assert.equal(third.listGroups().groups.map((group) => group.groupState), ['Empty']);
  const [next] = await joinMembers(third, 'lapsed', 1);
  assert.is(next!.generationId, member!.generationId + 2);
  assert.is(third.fetchOffsets({ groupId: 'lapsed', topics: null }).topics[0]!.partitions[0]!.committedOffset, 9n);
});

test('a static member that came back under a new id before the restart is known by that id after it', async () => {
  const dataDir = temporaryDirectory();
  const first = await openCoordinator({}, { dataDir });
  const join = await first.joinGroup(joinRequest('static', { groupInstanceId: 'pump-1' }), context());
  await syncAll(first, 'static', [join]);
  const replaced = await first.joinGroup(joinRequest('static', { groupInstanceId: 'pump-1' }), context());
  assert.is.not(replaced.memberId, join.memberId);
  await first.close();

  const second = await openCoordinator({}, { dataDir });
  assert.is(second.heartbeat({ groupId: 'static', generationId: join.generationId, memberId: replaced.memberId, groupInstanceId: 'pump-1' }).errorCode, E.NONE);
  assert.is(second.heartbeat({ groupId: 'static', generationId: join.generationId, memberId: join.memberId, groupInstanceId: 'pump-1' }).errorCode, E.FENCED_INSTANCE_ID);
});

test.run();
