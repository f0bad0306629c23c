// DescribeAcls, CreateAcls and DeleteAcls (KIP-140): the ACLs of edge/auth/acls as kafka-acls
// and the AdminClient manage them. Who may call them (DESCRIBE or ALTER on the cluster) is
// checked before these run (authorization/api-checks.ts). A change is answered once it is
// on flash; one the disk refused is answered with the error and nothing of it applies.
import type { CreateAclsRequest, CreateAclsResponse } from '../../../shared/kafka/apis/create-acls.ts';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../../../shared/kafka/apis/delete-acls.ts';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../../../shared/kafka/apis/describe-acls.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import { filterProblem, type AclBinding, type AclBindingFilter } from '../../auth/acls/acl.ts';
import type { BrokerContext } from '../broker-context.ts';

type WireFilter = DescribeAclsRequest;

function filterOf(wire: WireFilter): AclBindingFilter {
  return {
    resourceType: wire.resourceTypeFilter,
    resourceName: wire.resourceNameFilter,
    patternType: wire.patternTypeFilter,
    principal: wire.principalFilter,
    host: wire.hostFilter,
    operation: wire.operation,
    permissionType: wire.permissionType,
  };
}

/** Why a change failed, as Kafka reports it: the ACL limit as a bad request, a disk error by its mapping. */
function changeFailure(error: unknown): { errorCode: number; errorMessage: string } {
  const errorCode = isTributaryError(error, 'ACL_LIMIT') ? ErrorCode.INVALID_REQUEST : kafkaErrorCodeOf(error);
  return { errorCode, errorMessage: (error as Error).message };
}

export function handleDescribeAcls(context: BrokerContext, request: DescribeAclsRequest): DescribeAclsResponse {
  const filter = filterOf(request);
  const problem = filterProblem(filter);
  if (problem !== undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, resources: [] };
  // One entry per resource pattern, its ACLs beneath it, as Kafka groups them.
  const resources = new Map<string, DescribeAclsResponse['resources'][number]>();
  for (const binding of context.authorizer.describe(filter)) {
    const key = JSON.stringify([binding.resourceType, binding.patternType, binding.resourceName]);
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = { resourceType: binding.resourceType, resourceName: binding.resourceName, patternType: binding.patternType, acls: [] };
      resources.set(key, resource);
    }
    resource.acls.push({ principal: binding.principal, host: binding.host, operation: binding.operation, permissionType: binding.permissionType });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...resources.values()] };
}

export async function handleCreateAcls(context: BrokerContext, request: CreateAclsRequest): Promise<CreateAclsResponse> {
  const bindings: AclBinding[] = request.creations.map((creation) => ({
    resourceType: creation.resourceType,
    resourceName: creation.resourceName,
    patternType: creation.resourcePatternType,
    principal: creation.principal,
    host: creation.host,
    operation: creation.operation,
    permissionType: creation.permissionType,
  }));
  try {
    const outcomes = await context.authorizer.create(bindings);
    const results = outcomes.map((problem) => (problem === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem }));
    if (bindings.length > 0) context.logger.info({ created: outcomes.filter((problem) => problem === undefined).length, refused: outcomes.filter((problem) => problem !== undefined).length }, 'ACLs created');
    return { throttleTimeMs: 0, results };
  } catch (error) {
    context.logger.warn({ err: error }, 'ACLs not created');
    return { throttleTimeMs: 0, results: bindings.map(() => changeFailure(error)) };
  }
}

export async function handleDeleteAcls(context: BrokerContext, request: DeleteAclsRequest): Promise<DeleteAclsResponse> {
  const filters = request.filters.map(filterOf);
  const problems = filters.map(filterProblem);
  try {
    const removed = await context.authorizer.delete(filters.filter((_, index) => problems[index] === undefined));
    let next = 0;
    const filterResults = filters.map((_, index): DeleteAclsResponse['filterResults'][number] => {
      const problem = problems[index];
      if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] };
      const matchingAcls = removed[next++]!.map((binding) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...binding }));
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls };
    });
    context.logger.info({ deleted: removed.flat().length }, 'ACLs deleted');
    return { throttleTimeMs: 0, filterResults };
  } catch (error) {
    context.logger.warn({ err: error }, 'ACLs not deleted');
    return { throttleTimeMs: 0, filterResults: filters.map(() => ({ ...changeFailure(error), matchingAcls: [] })) };
  }
}
