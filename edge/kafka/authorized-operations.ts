// Authorized operations (KIP-430): what a client may do with a topic, a group or the cluster,
// as a bit field of ACL operation codes, sent when a Metadata, DescribeCluster or
// DescribeGroups request asks for it. This broker has no authorizer, so, as Apache Kafka
// without one, it answers every operation the resource type supports (the sets of Kafka
// 4.4's AclEntry.supportedOperations). librdkafka's admin API reads these fields; "unknown"
// made it treat every operation as refused.

/** ACL operation codes (Kafka's AclOperation). */
const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

function bitField(...operations: number[]): number {
  return operations.reduce((bits, operation) => bits | (1 << operation), 0);
}

/** The value of an authorized-operations field the client did not ask for (Kafka's Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

export const TOPIC_OPERATIONS = bitField(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const CLUSTER_OPERATIONS = bitField(CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE);
export const GROUP_OPERATIONS = bitField(READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);

/** The field's value: the operations when the client asked for them, else "omitted". */
export function authorizedOperations(requested: boolean, operations: number): number {
  return requested ? operations : AUTHORIZED_OPERATIONS_OMITTED;
}
