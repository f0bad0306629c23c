// Authorized operations (KIP-430): what a client may do with a topic, a group or the cluster,
// as a bit field of ACL operation codes, sent when a Metadata, DescribeCluster or
// DescribeGroups request asks for it. The sets are those each resource type supports (Kafka
// 4.4's AclEntry.supportedOperations); the authorizer narrows them to what the asking
// principal may do (authorization/kafka-access.ts). librdkafka's admin API reads these
// fields; "unknown" made it treat every operation as refused.
import { AclOperation } from '../auth/acls/acl.ts';

/** The value of an authorized-operations field the client did not ask for (Kafka's Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

export const TOPIC_ACL_OPERATIONS: readonly number[] = [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS];
export const CLUSTER_ACL_OPERATIONS: readonly number[] = [CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE];
export const GROUP_ACL_OPERATIONS: readonly number[] = [READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS];

function bitField(operations: readonly number[]): number {
  return operations.reduce((bits, operation) => bits | (1 << operation), 0);
}

export const TOPIC_OPERATIONS = bitField(TOPIC_ACL_OPERATIONS);
export const CLUSTER_OPERATIONS = bitField(CLUSTER_ACL_OPERATIONS);
export const GROUP_OPERATIONS = bitField(GROUP_ACL_OPERATIONS);

/** The field's value: the operations when the client asked for them, else "omitted". */
export function authorizedOperations(requested: boolean, operations: number): number {
  return requested ? operations : AUTHORIZED_OPERATIONS_OMITTED;
}
