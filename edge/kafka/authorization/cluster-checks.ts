// The checks of the APIs that act on the broker as a whole or on configs, as Kafka 4.4's
// KafkaApis makes them: DESCRIBE on the cluster to read ACLs and log directories, ALTER to
// change ACLs, DESCRIBE_CONFIGS and ALTER_CONFIGS on the topic or the cluster (broker
// configs), IDEMPOTENT_WRITE on the cluster or WRITE on some topic for a producer id
// (KIP-679), WRITE on a transactional id for a transactional one. ApiVersions and the
// SASL exchange are open to all: they come before anyone is known.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../../auth/acls/acl.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../authorized-operations.ts';
import { split, withRefusals, type Check } from './checked.ts';
import type { KafkaAccess } from './kafka-access.ts';

const { ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, WRITE } = AclOperation;
const CLUSTER_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const DENIED_MESSAGE = 'Authorization failed.';

/** Config resource types (Kafka's ConfigResource.Type) and what guards them. */
const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export const open = <Body>(body: Body) => ({ body });

export const initProducerId: Check<typeof ApiKey.InitProducerId> = (body, access) => {
  const denied = (errorCode: number) => ({ answer: { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 } });
  if (body.transactionalId !== null) return access.may(WRITE, ResourceType.TRANSACTIONAL_ID, body.transactionalId) ? { body } : denied(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const idempotent = access.allows(IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME) || access.mayOnSomeResource(WRITE, ResourceType.TOPIC);
  return idempotent ? { body } : denied(CLUSTER_DENIED);
};

export const describeAcls: Check<typeof ApiKey.DescribeAcls> = (body, access) => (access.mayOnCluster(DESCRIBE) ? { body } : {
  answer: { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE, resources: [] },
});

export const createAcls: Check<typeof ApiKey.CreateAcls> = (body, access) => (access.mayOnCluster(ALTER) ? { body } : {
  answer: { throttleTimeMs: 0, results: body.creations.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE })) },
});

export const deleteAcls: Check<typeof ApiKey.DeleteAcls> = (body, access) => (access.mayOnCluster(ALTER) ? { body } : {
  answer: { throttleTimeMs: 0, filterResults: body.filters.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE, matchingAcls: [] })) },
});

/** The error a config resource gets when `operation` on it is denied, or undefined when allowed (or not guarded here). */
function configRefusal(access: KafkaAccess, operation: number, resource: { resourceType: number; resourceName: string }): number | undefined {
  switch (resource.resourceType) {
    case ConfigResourceType.TOPIC: return access.may(operation, ResourceType.TOPIC, resource.resourceName) ? undefined : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case ConfigResourceType.BROKER:
    case ConfigResourceType.BROKER_LOGGER: return access.mayOnCluster(operation) ? undefined : CLUSTER_DENIED;
    default: return undefined;
  }
}

function splitConfigResources<Resource extends { resourceType: number; resourceName: string }>(access: KafkaAccess, operation: number, resources: readonly Resource[]) {
  const refusals = new Map<Resource, number>();
  const { allowed, denied } = split(resources, (resource) => {
    const refusal = configRefusal(access, operation, resource);
    if (refusal !== undefined) refusals.set(resource, refusal);
    return refusal === undefined;
  });
  const refused = () => denied.map((resource) => ({ errorCode: refusals.get(resource)!, errorMessage: DENIED_MESSAGE, resourceType: resource.resourceType, resourceName: resource.resourceName }));
  return { allowed, denied, refused };
}

// KIP-546: client quotas are read with DESCRIBE_CONFIGS on the cluster (KafkaApis).
export const describeClientQuotas: Check<typeof ApiKey.DescribeClientQuotas> = (body, access) => (access.mayOnCluster(DESCRIBE_CONFIGS) ? { body } : {
  answer: { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE, entries: null },
});

// KIP-554: reading SCRAM users takes DESCRIBE on the cluster, changing them ALTER (KafkaApis,
// ControllerApis); a refused change names each user of the request.
export const describeUserScramCredentials: Check<typeof ApiKey.DescribeUserScramCredentials> = (body, access) => (access.mayOnCluster(DESCRIBE) ? { body } : {
  answer: { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE, results: [] },
});

export const alterUserScramCredentials: Check<typeof ApiKey.AlterUserScramCredentials> = (body, access) => (access.mayOnCluster(ALTER) ? { body } : {
  answer: { throttleTimeMs: 0, results: [...new Set([...body.deletions, ...body.upsertions].map(({ name }) => name))].map((user) => ({ user, errorCode: CLUSTER_DENIED, errorMessage: DENIED_MESSAGE })) },
});

export const describeConfigs: Check<typeof ApiKey.DescribeConfigs> = (body, access) => {
  const { allowed, denied, refused } = splitConfigResources(access, DESCRIBE_CONFIGS, body.resources);
  return withRefusals({ ...body, resources: allowed }, denied, 'results', () => refused().map((result) => ({ ...result, configs: [] })));
};

export const alterConfigs: Check<typeof ApiKey.AlterConfigs> = (body, access) => {
  const { allowed, denied, refused } = splitConfigResources(access, ALTER_CONFIGS, body.resources);
  return withRefusals({ ...body, resources: allowed }, denied, 'responses', refused);
};

export const incrementalAlterConfigs: Check<typeof ApiKey.IncrementalAlterConfigs> = (body, access) => {
  const { allowed, denied, refused } = splitConfigResources(access, ALTER_CONFIGS, body.resources);
  return withRefusals({ ...body, resources: allowed }, denied, 'responses', refused);
};

export const describeLogDirs: Check<typeof ApiKey.DescribeLogDirs> = (body, access) => (access.mayOnCluster(DESCRIBE) ? { body } : {
  // Versions before 3 carry no error code: the answer is simply empty.
  answer: { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, results: [] },
});

/** DescribeCluster checks nothing (as in Kafka); the cluster operations it reports are the principal's (KIP-430). */
export const describeCluster: Check<typeof ApiKey.DescribeCluster> = (body, access) => ({
  body,
  complete: (response) => (response.clusterAuthorizedOperations === AUTHORIZED_OPERATIONS_OMITTED ? response : { ...response, clusterAuthorizedOperations: access.clusterOperationBits() }),
});
