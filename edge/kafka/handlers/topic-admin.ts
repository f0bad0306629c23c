// CreateTopics, DeleteTopics and CreatePartitions: the topics that Kafka admin clients
// manage are the same topics the YAML declares.
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../../shared/kafka/apis/create-topics.ts';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../../shared/kafka/apis/delete-topics.ts';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../../shared/kafka/apis/create-partitions.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ZERO_UUID } from '../../../shared/kafka/protocol/schema.ts';
import { resolveTopicConfig } from '../../../shared/config/topic-settings.ts';
import { isValidTopicName, TOPIC_NAME_RULE } from '../../../shared/kafka/topic-name.ts';
import { BROKER_NODE_ID, type BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { changeTopicSettings, ConfigOperation } from '../configs/topic-config-changes.ts';
import { topicConfigEntries } from '../configs/topic-configs.ts';
import type { TopicOverride } from '../../../shared/config/topic-config.ts';
import type { TopicDescription } from '../../storage/index.ts';

type RequestedTopic = CreateTopicsRequest['topics'][number];
type CreatedTopic = CreateTopicsResponse['topics'][number];

/** num_partitions and replication_factor of a request that leaves them to the broker (KIP-464). */
const BROKER_DEFAULT = -1;

export async function handleCreateTopics(context: BrokerContext, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const named = new Map<string, number>();
  for (const requested of request.topics) named.set(requested.name, (named.get(requested.name) ?? 0) + 1);
  const refuse = (name: string, errorCode: number, errorMessage: string): CreatedTopic => ({ name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
  const created = (description: TopicDescription): CreatedTopic => {
    const configs = topicConfigEntries(description, context.topicDefaults).map((entry) => ({ name: entry.name, value: entry.value, readOnly: entry.readOnly, configSource: entry.source, isSensitive: false }));
    return { name: description.name, topicId: description.id, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: description.partitions, replicationFactor: 1, configs };
  };
  // Each topic is checked here first; those that pass are created together, in one store operation (LogStore.createTopics).
  const topics: (CreatedTopic | { name: string; override: TopicOverride })[] = [];
  const validated = { topics: 0, partitions: 0 };
  for (const requested of request.topics) {
    const { name } = requested;
    if (named.get(name)! > 1) { topics.push(refuse(name, ErrorCode.INVALID_REQUEST, `topic "${name}" is named more than once in the request`)); continue; }
    if (!isValidTopicName(name)) { topics.push(refuse(name, ErrorCode.INVALID_TOPIC_EXCEPTION, `"${name}" is not a valid topic name (${TOPIC_NAME_RULE})`)); continue; }
    const partitions = partitionCount(requested);
    if ('errorCode' in partitions) { topics.push(refuse(name, partitions.errorCode, partitions.errorMessage)); continue; }
    const settings = changeTopicSettings({}, context.topicDefaults, requested.configs.map((config) => ({ name: config.name, operation: ConfigOperation.SET, value: config.value })));
    if ('errorCode' in settings) { topics.push(refuse(name, settings.errorCode, settings.errorMessage)); continue; }
    if (context.store.describeTopic(name)) { topics.push(refuse(name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${name}" already exists`)); continue; }
    const override = { ...settings.override, ...(partitions.count === undefined ? {} : { partitions: partitions.count }) };
    if (!request.validateOnly) { topics.push({ name, override }); continue; }
    try {
      const config = resolveTopicConfig(context.topicDefaults, override);
      // A validate-only request is held to the limits as if its earlier topics had been created.
      context.store.checkTopicLimits(`creating topic "${name}" with ${config.partitions} partitions`, validated.topics + 1, validated.partitions + config.partitions);
      validated.topics += 1;
      validated.partitions += config.partitions;
      topics.push(created({ name, id: ZERO_UUID, partitions: config.partitions, config, overrides: settings.override }));
    } catch (error) {
      topics.push(refuse(name, kafkaErrorCodeOf(error), (error as Error).message));
    }
  }
  const wanted = topics.filter((topic) => 'override' in topic);
  const outcomes = wanted.length === 0 ? [] : await context.store.createTopics(wanted.map(({ name, override }) => ({ name, overrides: override })));
  return {
    throttleTimeMs: 0,
    topics: topics.map((topic) => {
      if (!('override' in topic)) return topic;
      const outcome = outcomes[wanted.indexOf(topic)]!;
      if (outcome instanceof Error) return refuse(topic.name, kafkaErrorCodeOf(outcome), outcome.message);
      context.logger.info({ topic: outcome.name, partitions: outcome.partitions }, 'created topic');
      return created(outcome);
    }),
  };
}

/**
 * The partition count a CreateTopics entry asks for (undefined: the default), from
 * num_partitions and replication_factor or from a manual replica assignment, which may name
 * only this broker: one replica per partition, partitions numbered 0 to n-1.
 */
function partitionCount(requested: RequestedTopic): { count: number | undefined } | { errorCode: number; errorMessage: string } {
  const { numPartitions, replicationFactor, assignments } = requested;
  if (assignments.length === 0) {
    if (numPartitions === 0 || numPartitions < BROKER_DEFAULT) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `numPartitions must be at least 1 (or -1 for the default), not ${numPartitions}` };
    if (replicationFactor === 0 || replicationFactor < BROKER_DEFAULT) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: `replicationFactor must be 1 (or -1 for the default), not ${replicationFactor}` };
    if (replicationFactor > 1) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: `replication factor ${replicationFactor} is larger than the 1 broker of this node` };
    return { count: numPartitions === BROKER_DEFAULT ? undefined : numPartitions };
  }
  if (numPartitions !== BROKER_DEFAULT || replicationFactor !== BROKER_DEFAULT) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'a manual replica assignment comes with numPartitions and replicationFactor -1; both were given' };
  }
  const indexes = assignments.map((assignment) => assignment.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((index, position) => index !== position)) {
    return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `the assigned partitions must be numbered 0 to ${assignments.length - 1}, each once; got ${indexes.join(', ')}` };
  }
  for (const assignment of assignments) {
    if (assignment.brokerIds.length !== 1 || assignment.brokerIds[0] !== BROKER_NODE_ID) {
      return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `partition ${assignment.partitionIndex} is assigned to brokers [${assignment.brokerIds.join(', ')}]; this node has one broker, ${BROKER_NODE_ID}, and each partition one replica on it` };
    }
  }
  return { count: assignments.length };
}

export async function handleDeleteTopics(context: BrokerContext, request: DeleteTopicsRequest, apiVersion: number): Promise<DeleteTopicsResponse> {
  const wanted = apiVersion >= 6
    ? request.topics.map((topic) => topic.name ?? context.store.listTopics().find((known) => known.id === topic.topicId)?.name ?? null)
    : request.topicNames;
  const responses: DeleteTopicsResponse['responses'] = [];
  for (const name of wanted) {
    const topic = name === null ? undefined : context.store.describeTopic(name);
    if (!topic) {
      responses.push({ name, topicId: ZERO_UUID, errorCode: name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no such topic: ${name ?? '(by id)'}` });
      continue;
    }
    try {
      await context.store.deleteTopic(topic.name);
      context.logger.info({ topic: topic.name }, 'deleted topic');
      responses.push({ name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (error) {
      responses.push({ name: topic.name, topicId: topic.id, errorCode: kafkaErrorCodeOf(error), errorMessage: (error as Error).message });
    }
  }
  return { throttleTimeMs: 0, responses };
}

export async function handleCreatePartitions(context: BrokerContext, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const results: CreatePartitionsResponse['results'] = [];
  for (const requested of request.topics) {
    const topic = context.store.describeTopic(requested.name);
    if (!topic) { results.push({ name: requested.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no such topic: ${requested.name}` }); continue; }
    if (requested.count <= topic.partitions) { results.push({ name: requested.name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `topic has ${topic.partitions} partitions; the new count ${requested.count} must be larger` }); continue; }
    try {
      if (request.validateOnly) {
        context.store.checkTopicLimits(`raising topic "${requested.name}" from ${topic.partitions} to ${requested.count} partitions`, 0, requested.count - topic.partitions);
        results.push({ name: requested.name, errorCode: ErrorCode.NONE, errorMessage: null });
        continue;
      }
      await context.store.createPartitions(requested.name, requested.count);
      results.push({ name: requested.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (error) {
      results.push({ name: requested.name, errorCode: kafkaErrorCodeOf(error), errorMessage: (error as Error).message });
    }
  }
  return { throttleTimeMs: 0, results };
}
