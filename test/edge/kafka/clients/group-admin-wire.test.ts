// Group administration on the wire: OffsetDelete (KIP-496) forgets some of a group's
// committed offsets, and DeleteGroups removes an empty group, saying why it refused one
// (v3+). The group rules themselves are tested on the coordinator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const OFFSET_COMMIT = 8;
const OFFSET_FETCH = 9;
const DELETE_GROUPS = 42;
const OFFSET_DELETE = 47;

test('OffsetDelete forgets the offsets named; DeleteGroups removes the group and explains a refusal', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { readings: { partitions: 2 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const committed = await connection.request(OFFSET_COMMIT, 8, {
      groupId: 'dashboard', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'readings', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: 40n, committedLeaderEpoch: -1, committedMetadata: null })) }],
    });
    assert.equal(committed.topics[0]!.partitions.map((partition) => partition.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);

    const deleted = await connection.request(OFFSET_DELETE, 0, { groupId: 'dashboard', topics: [{ name: 'readings', partitions: [{ partitionIndex: 1 }] }] });
    assert.equal([deleted.errorCode, deleted.topics[0]!.partitions[0]!.errorCode], [ErrorCode.NONE, ErrorCode.NONE]);
    const fetched = await connection.request(OFFSET_FETCH, 8, { groupId: '', topics: null, groups: [{ groupId: 'dashboard', memberId: null, memberEpoch: -1, topics: [{ name: 'readings', partitionIndexes: [0, 1] }] }], requireStable: false });
    assert.equal(fetched.groups[0]!.topics[0]!.partitions.map((partition) => partition.committedOffset), [40n, -1n]);

    const missing = await connection.request(OFFSET_DELETE, 0, { groupId: 'nobody', topics: [] });
    assert.is(missing.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

    const groups = await connection.request(DELETE_GROUPS, 3, { groupsNames: ['dashboard', 'nobody'] });
    assert.equal(groups.results.map((result) => [result.groupId, result.errorCode, result.errorMessage]), [['dashboard', ErrorCode.NONE, null], ['nobody', ErrorCode.GROUP_ID_NOT_FOUND, 'no such group']]);
    const after = await connection.request(OFFSET_FETCH, 8, { groupId: '', topics: null, groups: [{ groupId: 'dashboard', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    assert.equal(after.groups[0]!.topics, []);
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();
