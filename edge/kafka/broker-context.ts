// What every request handler of the Kafka server needs: the log, the group coordinator,
// the producer-id allocator, the transaction coordinator, the authorizer, and how this broker describes itself to clients.
import type { KafkaConfig } from '../../shared/config/schema.ts';
import type { TopicConfig } from '../../shared/config/topic-config.ts';
import { isTributaryError } from '../../shared/errors.ts';
import { isValidTopicName } from '../../shared/kafka/topic-name.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogStore, TopicDescription } from '../storage/index.ts';
import type { BrokerDescription } from './configs/broker-configs.ts';
import type { GroupCoordinator } from './groups/coordinator.ts';
import type { ProducerIdAllocator } from './producer-ids.ts';
import type { TransactionCoordinator } from './transactions/coordinator.ts';
import type { Authorizer } from '../auth/acls/authorizer.ts';
import type { KafkaUsers } from './sasl/kafka-users.ts';
import type { LoadShedding } from '../daemon/memory-guard.ts';

/** A single-node cluster: this broker is node 1, leader of every partition. */
export const BROKER_NODE_ID = 1;

export interface BrokerContext {
  readonly store: LogStore;
  readonly groups: GroupCoordinator;
  readonly producerIds: ProducerIdAllocator;
  readonly transactions: TransactionCoordinator;
  /** The ACLs and who may do what (kafka.authorization). */
  readonly authorizer: Authorizer;
  /** The SASL users of kafka.sasl.users and of the credential store (DescribeUserScramCredentials, AlterUserScramCredentials). */
  readonly users: KafkaUsers;
  readonly config: KafkaConfig;
  readonly topicDefaults: TopicConfig;
  readonly clusterId: string;
  readonly advertised: { host: string; port: number };
  /** This node's listeners, log directory and settings, as DescribeConfigs reports them. */
  readonly broker: BrokerDescription;
  readonly logger: Logger;
  /** Near the heap limit produce is refused (edge/daemon/memory-guard.ts); undefined: never. */
  readonly memoryGuard?: LoadShedding | undefined;
}

/**
 * The topic, created with the defaults when auto-creation is on and the name is valid.
 * Two requests that race to create it both get the topic.
 */
export async function topicOrAutoCreate(context: BrokerContext, name: string, allowAutoCreate = true): Promise<TopicDescription | undefined> {
  const existing = context.store.describeTopic(name);
  if (existing || !allowAutoCreate || !context.config.autoCreateTopics || !isValidTopicName(name)) return existing;
  try {
    const created = await context.store.createTopic(name);
    context.logger.info({ topic: name, partitions: created.partitions }, 'auto-created topic');
    return created;
  } catch (error) {
    if (isTributaryError(error, 'TOPIC_EXISTS')) return context.store.describeTopic(name);
    throw error;
  }
}
