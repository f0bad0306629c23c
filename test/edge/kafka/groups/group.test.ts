import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClassicGroup, GroupMember } from '../../../../edge/kafka/groups/group.ts';

function member(memberId: string, protocols: string[], groupInstanceId: string | null = null): GroupMember {
  return new GroupMember({
    memberId,
    groupInstanceId,
    clientId: 'app',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 1_000,
    sessionTimeoutMs: 1_000,
    protocolType: 'consumer',
    protocols: protocols.map((name) => ({ name, metadata: Buffer.from(name) })),
  });
}

test('the protocol chosen is supported by all and preferred by most', () => {
  const group = new ClassicGroup('votes');
  group.add(member('a', ['sticky', 'range']), undefined);
  group.add(member('b', ['sticky', 'range', 'roundrobin']), undefined);
  group.add(member('c', ['range', 'sticky']), undefined);
  assert.is(group.selectProtocol(), 'sticky');
  group.remove('a');
  group.remove('b');
  assert.is(group.selectProtocol(), 'range');
});

test('a joining member must share the protocol type and a protocol with every member', () => {
  const group = new ClassicGroup('support');
  assert.ok(group.supportsProtocols('consumer', ['range']), 'an empty group accepts any non-empty type and protocol list');
  assert.not.ok(group.supportsProtocols('', ['range']));
  assert.not.ok(group.supportsProtocols('consumer', []));
  group.add(member('a', ['range']), undefined);
  group.transitionTo('PreparingRebalance');
  assert.ok(group.supportsProtocols('consumer', ['roundrobin', 'range']));
  assert.not.ok(group.supportsProtocols('consumer', ['roundrobin']));
  assert.not.ok(group.supportsProtocols('connect', ['range']));
});

test('the first member leads; when the leader goes, the next member does', () => {
  const group = new ClassicGroup('leaders');
  group.add(member('a', ['range']), undefined);
  group.add(member('b', ['range']), undefined);
  assert.is(group.leaderId, 'a');
  group.remove('a');
  assert.is(group.leaderId, 'b');
  group.remove('b');
  assert.is(group.leaderId, null);
});

test('a leader that did not rejoin is replaced by one that did', () => {
  const group = new ClassicGroup('rejoin');
  group.add(member('a', ['range']), undefined);
  group.add(member('b', ['range']), () => {});
  assert.ok(group.electJoinedLeader());
  assert.is(group.leaderId, 'b');
  group.members.get('b')!.joinWaiter = undefined;
  assert.not.ok(group.electJoinedLeader(), 'no member rejoined');
});

test('state changes follow Kafka\'s state machine; generations advance', () => {
  const group = new ClassicGroup('states');
  assert.throws(() => group.transitionTo('Stable'), /cannot go from Empty to Stable/);
  group.add(member('a', ['range']), () => {});
  group.transitionTo('PreparingRebalance');
  group.initNextGeneration();
  assert.equal([group.state, group.generationId, group.protocolName], ['CompletingRebalance', 1, 'range']);
  group.transitionTo('Stable');
  group.transitionTo('PreparingRebalance');
  group.remove('a');
  group.initNextGeneration();
  assert.equal([group.state, group.generationId, group.protocolName], ['Empty', 2, null]);
});

test('a static member replaced under a new id keeps its place and its leadership', () => {
  const group = new ClassicGroup('static');
  group.add(member('old', ['range'], 'instance-1'), undefined);
  group.add(member('other', ['range']), undefined);
  const replaced = group.replaceStaticMember('instance-1', 'old', 'new');
  assert.is(replaced.memberId, 'new');
  assert.is(group.leaderId, 'new');
  assert.is(group.staticMembers.get('instance-1'), 'new');
  assert.not.ok(group.members.has('old'));
});

test.run();
