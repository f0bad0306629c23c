// The broker's configs as DescribeConfigs reports them for the BROKER resource: this node's
// listeners and log directory, and the YAML settings that Kafka would hold in
// server.properties, under Kafka's names. All are read-only (Kafka's "static broker
// configs"): they change by editing the YAML file, not through the Kafka API. A value the
// YAML sets to something other than the built-in default reads STATIC_BROKER_CONFIG, any
// other DEFAULT_CONFIG.
import type { KafkaConfig } from '../../../shared/config/schema.ts';
import { defaultConfig } from '../../../shared/config/load.ts';
import type { TopicConfig } from '../../../shared/config/topic-config.ts';
import { DEFAULT_TOPIC_CONFIG } from '../../../shared/config/topic-settings.ts';
import { ConfigSource, ConfigType, layeredEntry, type ConfigEntry, type ConfigTypeCode } from './config-entry.ts';
import { TOPIC_CONFIGS } from './topic-configs.ts';

/** One listener of this broker, under its Kafka security protocol name. */
export interface BrokerListener {
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  securityProtocol: string;
  bind: { host: string; port: number };
  advertised: { host: string; port: number };
}

export interface BrokerDescription {
  nodeId: number;
  listeners: readonly BrokerListener[];
  logDirectory: string;
  kafka: KafkaConfig;
  topicDefaults: TopicConfig;
}

type KafkaKey = 'autoCreateTopics' | 'maxRequestBytes' | 'maxConnections' | 'connectionsMaxIdleMs' | 'groupInitialRebalanceDelayMs' | 'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs';

/** Kafka broker configs that kafka.* YAML keys set. */
const KAFKA_SETTINGS: ReadonlyArray<{ name: string; key: KafkaKey; type: ConfigTypeCode }> = [
  { name: 'auto.create.topics.enable', key: 'autoCreateTopics', type: ConfigType.BOOLEAN },
  { name: 'socket.request.max.bytes', key: 'maxRequestBytes', type: ConfigType.INT },
  { name: 'max.connections', key: 'maxConnections', type: ConfigType.INT },
  { name: 'connections.max.idle.ms', key: 'connectionsMaxIdleMs', type: ConfigType.LONG },
  { name: 'group.initial.rebalance.delay.ms', key: 'groupInitialRebalanceDelayMs', type: ConfigType.INT },
  { name: 'group.min.session.timeout.ms', key: 'groupMinSessionTimeoutMs', type: ConfigType.INT },
  { name: 'group.max.session.timeout.ms', key: 'groupMaxSessionTimeoutMs', type: ConfigType.INT },
];

let builtInKafka: KafkaConfig | undefined;

function staticEntry(name: string, type: ConfigTypeCode, value: string, documentation: string): ConfigEntry {
  return layeredEntry({ name, type, readOnly: true, documentation }, [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }]);
}

/** A value that is the built-in default unless the YAML file changed it. */
function settingEntry(name: string, type: ConfigTypeCode, value: string, builtIn: string, documentation: string): ConfigEntry {
  return layeredEntry({ name, type, readOnly: true, documentation }, [
    value === builtIn ? undefined : { name, value, source: ConfigSource.STATIC_BROKER_CONFIG },
    { name, value: builtIn, source: ConfigSource.DEFAULT_CONFIG },
  ]);
}

/** Every broker config of this node, in name order. */
export function brokerConfigEntries(broker: BrokerDescription): ConfigEntry[] {
  builtInKafka ??= defaultConfig().kafka;
  const entries: ConfigEntry[] = [
    staticEntry('advertised.listeners', ConfigType.LIST, broker.listeners.map((listener) => `${listener.securityProtocol}://${listener.advertised.host}:${listener.advertised.port}`).join(','),
      'Where clients are told to connect, per listener: listeners.kafka and listeners.kafkaTls, with kafka.advertisedHost.'),
    staticEntry('listeners', ConfigType.LIST, broker.listeners.map((listener) => `${listener.securityProtocol}://${listener.bind.host}:${listener.bind.port}`).join(','),
      'The addresses the Kafka listeners bind: listeners.kafka and listeners.kafkaTls.'),
    staticEntry('node.id', ConfigType.INT, String(broker.nodeId), 'This broker\'s id; a single node is always node 1.'),
    staticEntry('broker.id', ConfigType.INT, String(broker.nodeId), 'This broker\'s id; a single node is always node 1.'),
    staticEntry('log.dirs', ConfigType.LIST, broker.logDirectory, 'The directory of the log segments, under node.dataDir.'),
    settingEntry('num.partitions', ConfigType.INT, String(broker.topicDefaults.partitions), String(DEFAULT_TOPIC_CONFIG.partitions), 'Partitions of a topic created without a count: topics.defaults.partitions.'),
    settingEntry('default.replication.factor', ConfigType.INT, '1', '1', 'Replicas of each partition: one, on this node.'),
    settingEntry('min.insync.replicas', ConfigType.INT, '1', '1', 'Replicas that must have a record before acks=all is answered: this node.'),
  ];
  for (const { name, key, type } of KAFKA_SETTINGS) {
    entries.push(settingEntry(name, type, String(broker.kafka[key]), String(builtInKafka[key]), `Set by kafka.${key} in the YAML file.`));
  }
  for (const definition of TOPIC_CONFIGS.values()) {
    entries.push(settingEntry(definition.brokerSynonym, definition.type, definition.read(broker.topicDefaults), definition.read(DEFAULT_TOPIC_CONFIG),
      `The default of the topic config ${definition.name}, from topics.defaults in the YAML file. ${definition.documentation}`));
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
