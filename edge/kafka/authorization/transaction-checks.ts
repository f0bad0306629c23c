// The checks of the transaction APIs (KIP-98, KIP-664), as Kafka 4.4's KafkaApis makes them:
// WRITE on the transactional id to add partitions or offsets, commit offsets and end the
// transaction; WRITE on each topic added; READ on the group whose offsets join the
// transaction and on each topic committed; DESCRIBE on a transactional id to describe or
// list it. A denied transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { AclOperation, ResourceType } from '../../auth/acls/acl.ts';
import { split, withRefusals, type Check } from './checked.ts';

const { READ, WRITE, DESCRIBE } = AclOperation;
const { GROUP, TOPIC, TRANSACTIONAL_ID } = ResourceType;
const TRANSACTION_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

export const addPartitionsToTxn: Check<typeof ApiKey.AddPartitionsToTxn> = (body, access) => {
  const answerEach = (errorCodeOf: (topic: string) => number) => ({
    answer: {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((topic) => ({ name: topic.name, resultsByPartition: topic.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCodeOf(topic.name) })) })),
    },
  });
  if (!access.may(WRITE, TRANSACTIONAL_ID, body.v3AndBelowTransactionalId)) return answerEach(() => TRANSACTION_DENIED);
  // Kafka adds none of the partitions when one topic is denied: the rest are not attempted.
  const { denied } = split(body.v3AndBelowTopics, (topic) => access.may(WRITE, TOPIC, topic.name));
  if (denied.length === 0) return { body };
  const deniedNames = new Set(denied.map((topic) => topic.name));
  return answerEach((name) => (deniedNames.has(name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
};

export const addOffsetsToTxn: Check<typeof ApiKey.AddOffsetsToTxn> = (body, access) => {
  if (!access.may(WRITE, TRANSACTIONAL_ID, body.transactionalId)) return { answer: { throttleTimeMs: 0, errorCode: TRANSACTION_DENIED } };
  if (!access.may(READ, GROUP, body.groupId)) return { answer: { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED } };
  return { body };
};

export const endTxn: Check<typeof ApiKey.EndTxn> = (body, access) => (access.may(WRITE, TRANSACTIONAL_ID, body.transactionalId) ? { body } : { answer: { throttleTimeMs: 0, errorCode: TRANSACTION_DENIED } });

export const txnOffsetCommit: Check<typeof ApiKey.TxnOffsetCommit> = (body, access) => {
  const partitionsOf = (topics: typeof body.topics, errorCode: number) => topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
  if (!access.may(WRITE, TRANSACTIONAL_ID, body.transactionalId)) return { answer: { throttleTimeMs: 0, topics: partitionsOf(body.topics, TRANSACTION_DENIED) } };
  if (!access.may(READ, GROUP, body.groupId)) return { answer: { throttleTimeMs: 0, topics: partitionsOf(body.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) } };
  const { allowed, denied } = split(body.topics, (topic) => access.may(READ, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => partitionsOf(denied, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
};

export const describeTransactions: Check<typeof ApiKey.DescribeTransactions> = (body, access) => {
  const { allowed, denied } = split(body.transactionalIds, (id) => access.may(DESCRIBE, TRANSACTIONAL_ID, id));
  return withRefusals({ ...body, transactionalIds: allowed }, denied, 'transactionStates', () => denied.map((transactionalId) => ({
    errorCode: TRANSACTION_DENIED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
  })));
};

/** Lists only the transactional ids the principal may describe, as Kafka does. */
export const listTransactions: Check<typeof ApiKey.ListTransactions> = (body, access) => ({
  body,
  complete: (response) => ({ ...response, transactionStates: response.transactionStates.filter((state) => access.allows(DESCRIBE, TRANSACTIONAL_ID, state.transactionalId)) }),
});
