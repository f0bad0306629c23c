// The groups as a whole: ListGroups, DescribeGroups and DeleteGroups. Every group here is a
// classic group; a KIP-848 consumer group would be listed beside them with its own type.
import type { AnswerOf } from '../../../shared/kafka/apis/index.ts';
import type { deleteGroupsApi } from '../../../shared/kafka/apis/delete-groups.ts';
import type { DescribeGroupsRequest, describeGroupsApi } from '../../../shared/kafka/apis/describe-groups.ts';
import type { ListGroupsRequest, listGroupsApi } from '../../../shared/kafka/apis/list-groups.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { authorizedOperations, GROUP_OPERATIONS } from '../authorized-operations.ts';
import type { GroupTable } from './group-table.ts';
import { ClassicGroup, EMPTY_BYTES } from './group.ts';

/** ListGroups v5 GroupType of every group here. */
const CLASSIC_GROUP_TYPE = 'classic';

type ListAnswer = AnswerOf<typeof listGroupsApi>;
type DescribeAnswer = AnswerOf<typeof describeGroupsApi>;
type DescribedGroup = DescribeAnswer['groups'][number];
type DeleteAnswer = AnswerOf<typeof deleteGroupsApi>;

/** Why a group could not be deleted, for DeleteGroups v3+. */
const DELETE_GROUP_MESSAGES: Partial<Record<number, string>> = {
  [ErrorCode.NON_EMPTY_GROUP]: 'the group has members; stop its consumers first',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'no such group',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'the group coordinator is busy or stopping; retry',
};

export class GroupListing {
  readonly #table: GroupTable;

  constructor(table: GroupTable) {
    this.#table = table;
  }

  /** Every group, or those in the states and of the types asked for (v4+, v5+; matched without regard to case). */
  listGroups(request: Partial<ListGroupsRequest> = {}): ListAnswer {
    if (this.#table.isClosed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set((request.statesFilter ?? []).map((state) => state.toLowerCase()));
    const types = new Set((request.typesFilter ?? []).map((type) => type.toLowerCase()));
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { errorCode: ErrorCode.NONE, groups: [] };
    const groups = [...this.#table.all()]
      .filter((group) => states.size === 0 || states.has(group.state.toLowerCase()))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: CLASSIC_GROUP_TYPE }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroups(request: Pick<DescribeGroupsRequest, 'groups'> & Partial<DescribeGroupsRequest>): DescribeAnswer {
    const operations = authorizedOperations(request.includeAuthorizedOperations === true, GROUP_OPERATIONS);
    return { groups: request.groups.map((groupId) => this.#describe(groupId, operations)) };
  }

  #describe(groupId: string, operations: number): DescribedGroup {
    const described = (errorCode: number, groupState: string): DescribedGroup => ({ errorCode, groupId, groupState, protocolType: '', protocolData: '', members: [], authorizedOperations: operations });
    const groupIdError = this.#table.checkGroupId(groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return described(groupIdError, '');
    if (this.#table.isClosed) return described(ErrorCode.COORDINATOR_NOT_AVAILABLE, '');
    const group = this.#table.get(groupId);
    // Kafka describes a group it does not know as Dead, without an error.
    if (group === undefined) return described(ErrorCode.NONE, 'Dead');
    // Metadata and assignments belong to a generation, so only a Stable group shows them.
    const stableProtocol = group.is('Stable') ? group.protocolName : null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stableProtocol ?? '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stableProtocol === null ? EMPTY_BYTES : member.metadataFor(stableProtocol),
        memberAssignment: stableProtocol === null ? EMPTY_BYTES : member.assignment,
      })),
      authorizedOperations: operations,
    };
  }

  /** Deletes groups that have no members, with their committed offsets. */
  async deleteGroups(groupIds: readonly string[]): Promise<DeleteAnswer> {
    const results = await Promise.all(groupIds.map(async (groupId) => {
      const errorCode = await this.#deleteGroup(groupId);
      return { groupId, errorCode, errorMessage: DELETE_GROUP_MESSAGES[errorCode] ?? null };
    }));
    return { results };
  }

  async #deleteGroup(groupId: string): Promise<number> {
    const table = this.#table;
    const groupIdError = table.checkGroupId(groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return groupIdError;
    if (table.isClosed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = table.get(groupId);
    if (group === undefined || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    if (table.store.isBacklogged) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Dead while the offsets are deleted: requests for the group meanwhile are told to retry.
    group.transitionTo('Dead');
    for (const memberId of [...group.pendingMembers.keys()]) group.removePendingMember(memberId);
    try {
      await table.store.deleteGroup(groupId);
    } catch (error) {
      table.logger.error({ groupId, err: error }, 'deleting a consumer group failed');
      if (table.isCurrent(group)) table.replace(new ClassicGroup(groupId, group.protocolType));
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    table.delete(group);
    table.logger.info({ groupId }, 'consumer group deleted');
    table.events.emit('groupRemoved', { groupId, reason: 'deleted' });
    return ErrorCode.NONE;
  }
}
