// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (KIP-339) for topics and this
// broker. Topic configs are the topic's settings under Kafka's names and can be changed
// here; broker configs come from the YAML file and are read-only, as Kafka's static broker
// configs are. A change to a topic declared under topics.overrides lasts until the next
// start, which applies the YAML's settings again.
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../../shared/kafka/apis/alter-configs.ts';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../../shared/kafka/apis/describe-configs.ts';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../../shared/kafka/apis/incremental-alter-configs.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { brokerConfigEntries } from '../configs/broker-configs.ts';
import { ConfigResourceType, describedConfig, type ConfigEntry } from '../configs/config-entry.ts';
import { changeTopicSettings, ConfigOperation, type ConfigChange } from '../configs/topic-config-changes.ts';
import { topicConfigEntries } from '../configs/topic-configs.ts';

type DescribedResource = DescribeConfigsResponse['results'][number];
type AlteredResource = AlterConfigsResponse['responses'][number];

interface Resource {
  resourceType: number;
  resourceName: string;
}

/** Why this broker cannot answer for a resource, or undefined when it can. */
function resourceProblem(context: BrokerContext, resource: Resource): { errorCode: number; errorMessage: string } | undefined {
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    return context.store.describeTopic(resource.resourceName) === undefined
      ? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic "${resource.resourceName}" does not exist` }
      : undefined;
  }
  if (resource.resourceType === ConfigResourceType.BROKER) {
    // "" names the defaults shared by every broker of the cluster; there are no dynamic ones here.
    return resource.resourceName === '' || resource.resourceName === String(context.broker.nodeId)
      ? undefined
      : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `broker ${resource.resourceName} is not this one: this node is broker ${context.broker.nodeId}` };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config resource type ${resource.resourceType} is not supported: only topics (2) and brokers (4) have configs here` };
}

function entriesOf(context: BrokerContext, resource: Resource): ConfigEntry[] {
  if (resource.resourceType === ConfigResourceType.TOPIC) return topicConfigEntries(context.store.describeTopic(resource.resourceName)!, context.topicDefaults);
  return resource.resourceName === '' ? [] : brokerConfigEntries(context.broker);
}

export function handleDescribeConfigs(context: BrokerContext, request: DescribeConfigsRequest): DescribeConfigsResponse {
  const options = { includeSynonyms: request.includeSynonyms, includeDocumentation: request.includeDocumentation };
  const results = request.resources.map((resource): DescribedResource => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    const problem = resourceProblem(context, resource);
    if (problem !== undefined) return { ...base, ...problem, configs: [] };
    const wanted = resource.configurationKeys === null || resource.configurationKeys.length === 0 ? undefined : new Set(resource.configurationKeys);
    // Names this broker does not know are left out, as Kafka leaves them out.
    const configs = entriesOf(context, resource).filter((entry) => wanted === undefined || wanted.has(entry.name)).map((entry) => describedConfig(entry, options));
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
  });
  return { throttleTimeMs: 0, results };
}

export async function handleAlterConfigs(context: BrokerContext, request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  // AlterConfigs replaces every setting of the resource: what it does not name reverts to the default.
  return { throttleTimeMs: 0, responses: await alterAll(context, request.resources, request.validateOnly, 'replace', (resource) => resource.configs.map((config) => ({ name: config.name, operation: ConfigOperation.SET, value: config.value }))) };
}

export async function handleIncrementalAlterConfigs(context: BrokerContext, request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  return { throttleTimeMs: 0, responses: await alterAll(context, request.resources, request.validateOnly, 'change', (resource) => resource.configs.map((config) => ({ name: config.name, operation: config.configOperation, value: config.value }))) };
}

async function alterAll<R extends Resource>(context: BrokerContext, resources: readonly R[], validateOnly: boolean, mode: 'replace' | 'change', changesOf: (resource: R) => ConfigChange[]): Promise<AlteredResource[]> {
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const resource of resources) {
    const key = `${resource.resourceType}:${resource.resourceName}`;
    if (seen.has(key)) duplicated.add(key);
    seen.add(key);
  }
  const responses: AlteredResource[] = [];
  for (const resource of resources) {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    if (duplicated.has(`${resource.resourceType}:${resource.resourceName}`)) {
      responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource ${resource.resourceName} (type ${resource.resourceType}) is named more than once in the request` });
      continue;
    }
    responses.push({ ...base, ...(await alterOne(context, resource, changesOf(resource), validateOnly, mode)) });
  }
  return responses;
}

async function alterOne(context: BrokerContext, resource: Resource, changes: ConfigChange[], validateOnly: boolean, mode: 'replace' | 'change'): Promise<{ errorCode: number; errorMessage: string | null }> {
  const problem = resourceProblem(context, resource);
  if (problem !== undefined) return problem;
  if (resource.resourceType === ConfigResourceType.BROKER) {
    if (changes.length === 0) return { errorCode: ErrorCode.NONE, errorMessage: null };
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `broker configs cannot be changed while the broker runs (${changes.map((change) => change.name).join(', ')}): edit the YAML file and restart` };
  }
  const topic = context.store.describeTopic(resource.resourceName)!;
  const outcome = changeTopicSettings(mode === 'replace' ? {} : topic.overrides, topic.config, changes);
  if ('errorCode' in outcome) return outcome;
  if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
  try {
    await context.store.replaceTopicConfig(topic.name, outcome.override);
    context.logger.info({ topic: topic.name, changes: changes.map((change) => change.name) }, 'topic configs changed');
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    return { errorCode: kafkaErrorCodeOf(error), errorMessage: (error as Error).message };
  }
}
