// CreateTopics, DeleteTopics, CreatePartitions and DescribeConfigs: the topics that Kafka
// admin clients manage are the same topics the YAML declares.
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../../shared/kafka/apis/create-topics.ts';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../../shared/kafka/apis/delete-topics.ts';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../../shared/kafka/apis/create-partitions.ts';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../../shared/kafka/apis/describe-configs.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ZERO_UUID } from '../../../shared/kafka/protocol/schema.ts';
import { resolveTopicConfig } from '../../../shared/config/topic-config.ts';
import { isValidTopicName, type BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../error-mapping.ts';
import { overrideFromKafkaConfigs, TOPIC_CONFIG_NAMES } from '../topic-config-names.ts';

/** DescribeConfigs resource types (Kafka's ConfigResource.Type). */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** Config sources (Kafka's DescribeConfigsResponse.ConfigSource). */
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_DEFAULT = 5;

type CreatedTopic = CreateTopicsResponse['topics'][number];

export async function handleCreateTopics(context: BrokerContext, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const topics: CreatedTopic[] = [];
  for (const requested of request.topics) {
    const refuse = (errorCode: number, errorMessage: string): CreatedTopic => ({ name: requested.name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
    if (!isValidTopicName(requested.name)) { topics.push(refuse(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${requested.name}" is not a valid topic name ([a-zA-Z0-9._-], at most 249 characters)`)); continue; }
    if (requested.replicationFactor > 1) { topics.push(refuse(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${requested.replicationFactor} is larger than the 1 broker of this node`)); continue; }
    if (requested.assignments.length > 0) { topics.push(refuse(ErrorCode.INVALID_REQUEST, 'manual replica assignments are not supported')); continue; }
    const parsed = overrideFromKafkaConfigs(requested.configs);
    if ('error' in parsed) { topics.push(refuse(ErrorCode.INVALID_CONFIG, parsed.error)); continue; }
    const override = { ...parsed.override, ...(requested.numPartitions > 0 ? { partitions: requested.numPartitions } : {}) };
    if (requested.numPartitions === 0 || requested.numPartitions < -1) { topics.push(refuse(ErrorCode.INVALID_PARTITIONS, `numPartitions must be at least 1 (or -1 for the default), not ${requested.numPartitions}`)); continue; }
    if (context.store.describeTopic(requested.name)) { topics.push(refuse(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${requested.name}" already exists`)); continue; }
    try {
      if (request.validateOnly) {
        const config = resolveTopicConfig(context.topicDefaults, override);
        topics.push({ name: requested.name, topicId: ZERO_UUID, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: config.partitions, replicationFactor: 1, configs: [] });
        continue;
      }
      const created = await context.store.createTopic(requested.name, override);
      context.logger.info({ topic: created.name, partitions: created.partitions }, 'created topic');
      topics.push({ name: created.name, topicId: created.id, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: created.partitions, replicationFactor: 1, configs: [] });
    } catch (error) {
      topics.push(refuse(kafkaErrorCodeOf(error), (error as Error).message));
    }
  }
  return { throttleTimeMs: 0, topics };
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
    if (request.validateOnly) { results.push({ name: requested.name, errorCode: ErrorCode.NONE, errorMessage: null }); continue; }
    try {
      await context.store.createPartitions(requested.name, requested.count);
      results.push({ name: requested.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (error) {
      results.push({ name: requested.name, errorCode: kafkaErrorCodeOf(error), errorMessage: (error as Error).message });
    }
  }
  return { throttleTimeMs: 0, results };
}

export function handleDescribeConfigs(context: BrokerContext, request: DescribeConfigsRequest): DescribeConfigsResponse {
  const results = request.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    if (resource.resourceType === RESOURCE_BROKER) return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: [] };
    if (resource.resourceType !== RESOURCE_TOPIC) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resource.resourceType} is not supported`, configs: [] };
    const topic = context.store.describeTopic(resource.resourceName);
    if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no such topic: ${resource.resourceName}`, configs: [] };
    const defaults = context.topicDefaults;
    const names = resource.configurationKeys ?? Object.keys(TOPIC_CONFIG_NAMES);
    const configs = names.filter((name) => TOPIC_CONFIG_NAMES[name]).map((name) => {
      const value = TOPIC_CONFIG_NAMES[name].read(topic.config);
      const isDefault = value === TOPIC_CONFIG_NAMES[name].read(defaults);
      return { name, value, readOnly: false, isDefault, configSource: isDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC, isSensitive: false, synonyms: [], configType: 0, documentation: null };
    });
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
  });
  return { throttleTimeMs: 0, results };
}
