// Kafka's topic config names and Tributary's topic settings, both ways: CreateTopics,
// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs speak Kafka's names
// (retention.ms, segment.bytes, …); the log store keeps a TopicConfig. Each config states its
// Kafka type and the broker setting that gives its default (its synonym, KIP-226): a topic
// without its own value takes `topics.defaults` from the YAML file, or the built-in default.
//
// message.timestamp.type is reported with the only value this broker implements and can be
// set to that value alone, so that a tool that sets them explicitly
// learns at once what is not supported. Like every topic config, they read as alterable, as
// in Kafka: a value Kafka would refuse is refused the same way, with INVALID_CONFIG.
import type { CompressionType, TopicConfig, TopicOverride } from '../../../shared/config/topic-config.ts';
import { DEFAULT_TOPIC_CONFIG, topicSettingBounds } from '../../../shared/config/topic-settings.ts';
import { ConfigSource, ConfigType, layeredEntry, type ConfigEntry, type ConfigTypeCode } from './config-entry.ts';

export interface TopicConfigDefinition {
  readonly name: string;
  readonly type: ConfigTypeCode;
  /** The broker config that gives the default, e.g. log.retention.ms for retention.ms. */
  readonly brokerSynonym: string;
  readonly documentation: string;
  /** The value of a resolved config, as Kafka writes it. */
  read(config: TopicConfig): string;
  /** Whether the topic's own settings give it. */
  isSetIn(override: TopicOverride): boolean;
  /** Sets it in the topic's own settings; returns what is wrong with the value, if anything. */
  write(override: TopicOverride, value: string): string | undefined;
  /** Removes it from the topic's own settings, so the default applies again. */
  remove(override: TopicOverride): void;
}

type IntegerKey = 'retentionMs' | 'retentionBytes' | 'segmentBytes' | 'segmentMs' | 'maxMessageBytes' | 'minCompactionLagMs' | 'maxCompactionLagMs' | 'deleteRetentionMs';

/** A whole-number setting, within the bounds the configuration schema gives it. */
function integerSetting(name: string, key: IntegerKey, type: ConfigTypeCode, brokerSynonym: string, documentation: string): TopicConfigDefinition {
  const schema = topicSettingBounds(key);
  const minimum = schema.minimum ?? Number.MIN_SAFE_INTEGER;
  const maximum = Math.min(schema.maximum ?? Number.MAX_SAFE_INTEGER, type === ConfigType.INT ? 0x7fffffff : Number.MAX_SAFE_INTEGER);
  // A LONG at its largest safe value reads as Kafka's Long.MAX_VALUE ("never"), and back.
  const neverAtMaximum = type === ConfigType.LONG && maximum === Number.MAX_SAFE_INTEGER;
  return {
    name, type, brokerSynonym, documentation,
    read: (config) => (neverAtMaximum && config[key] >= Number.MAX_SAFE_INTEGER ? LONG_MAX : String(config[key])),
    isSetIn: (override) => override[key] !== undefined,
    write: (override, value) => {
      const text = value.trim();
      const number = neverAtMaximum && text === LONG_MAX ? Number.MAX_SAFE_INTEGER : /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(number) || number < minimum || number > maximum) return `must be an integer from ${minimum} to ${maximum}${neverAtMaximum ? ` or ${LONG_MAX}` : ''}`;
      override[key] = number;
      return undefined;
    },
    remove: (override) => { delete override[key]; },
  };
}

/** A fraction, such as min.cleanable.dirty.ratio, within the schema's bounds. */
function ratioSetting(name: string, key: 'minCleanableDirtyRatio', brokerSynonym: string, documentation: string): TopicConfigDefinition {
  const schema = topicSettingBounds(key);
  const minimum = schema.minimum ?? 0;
  const maximum = schema.maximum ?? 1;
  return {
    name, type: ConfigType.DOUBLE, brokerSynonym, documentation,
    read: (config) => String(config[key]),
    isSetIn: (override) => override[key] !== undefined,
    write: (override, value) => {
      const number = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
      if (!(number >= minimum && number <= maximum)) return `must be a number from ${minimum} to ${maximum}`;
      override[key] = number;
      return undefined;
    },
    remove: (override) => { delete override[key]; },
  };
}

/** cleanup.policy: a list of delete and compact, in any order, held as one of three values. */
const cleanupPolicySetting: TopicConfigDefinition = {
  name: 'cleanup.policy', type: ConfigType.LIST, brokerSynonym: 'log.cleanup.policy',
  documentation: 'How old records go: delete removes whole segments by retention.ms and retention.bytes; compact keeps the newest record of every key (records need a key); compact,delete does both.',
  read: (config) => config.cleanupPolicy,
  isSetIn: (override) => override.cleanupPolicy !== undefined,
  write: (override, value) => {
    const items = new Set(normalizeList(value).split(',').filter((item) => item !== ''));
    const unknown = [...items].filter((item) => item !== 'delete' && item !== 'compact');
    if (unknown.length > 0) return `${unknown.join(', ')} is not a cleanup policy; the policies are delete and compact`;
    if (items.size === 0) return 'name delete, compact or both';
    override.cleanupPolicy = items.size === 2 ? 'compact,delete' : items.has('compact') ? 'compact' : 'delete';
    return undefined;
  },
  remove: (override) => { delete override.cleanupPolicy; },
};

/** A config with one possible value here. */
function fixedSetting(name: string, type: ConfigTypeCode, brokerSynonym: string, value: string, why: string, documentation: string): TopicConfigDefinition {
  return {
    name, type, brokerSynonym, documentation,
    read: () => value,
    isSetIn: () => false,
    write: (_override, wanted) => (normalizeList(wanted) === value ? undefined : `only "${value}" is supported: ${why}`),
    remove: () => {},
  };
}

/** A LIST value as Kafka compares it: items trimmed, joined by commas. */
function normalizeList(value: string): string {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '').join(',');
}

/** Kafka's Long.MAX_VALUE: "never", as in the flush.ms and max.compaction.lag.ms defaults. */
const LONG_MAX = '9223372036854775807';
const FLUSH_NEVER = LONG_MAX;
const FLUSH_INTERVAL_MS_MAX = topicSettingBounds('flush.intervalMs').maximum ?? 60_000;
const FLUSH_POLICIES = ['always', 'interval', 'os'] as const;
const COMPRESSION_TYPES: readonly CompressionType[] = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'];

const definitions: TopicConfigDefinition[] = [
  cleanupPolicySetting,
  {
    name: 'compression.type', type: ConfigType.STRING, brokerSynonym: 'compression.type',
    documentation: 'Codec of the stored batches: producer keeps each as its producer compressed it; uncompressed, gzip, snappy, lz4 or zstd recompress batches that arrive in another codec.',
    read: (config) => config.compressionType,
    isSetIn: (override) => override.compressionType !== undefined,
    write: (override, value) => {
      const wanted = value.trim().toLowerCase() as CompressionType;
      if (!COMPRESSION_TYPES.includes(wanted)) return `must be one of ${COMPRESSION_TYPES.join(', ')}`;
      override.compressionType = wanted;
      return undefined;
    },
    remove: (override) => { delete override.compressionType; },
  },
  integerSetting('delete.retention.ms', 'deleteRetentionMs', ConfigType.LONG, 'log.cleaner.delete.retention.ms', 'On a compacted topic, a tombstone (null value) is kept at least this long after it was appended.'),
  {
    // Kafka's flush.ms bounds the time between fsyncs: Tributary's flush policy.
    name: 'flush.ms', type: ConfigType.LONG, brokerSynonym: 'log.flush.interval.ms',
    documentation: `Time between fdatasyncs: 0 syncs before every acknowledgement (policy always), 1 to ${FLUSH_INTERVAL_MS_MAX} syncs at that interval (policy interval), ${FLUSH_NEVER} leaves it to the operating system (policy os).`,
    read: (config) => (config.flush.policy === 'always' ? '0' : config.flush.policy === 'interval' ? String(config.flush.intervalMs) : FLUSH_NEVER),
    isSetIn: (override) => override.flush?.policy !== undefined || override.flush?.intervalMs !== undefined,
    write: (override, value) => {
      const text = value.trim();
      if (text === FLUSH_NEVER) override.flush = { policy: 'os' };
      else if (text === '0') override.flush = { policy: 'always' };
      else if (/^\d+$/.test(text) && Number(text) <= FLUSH_INTERVAL_MS_MAX) override.flush = { policy: 'interval', intervalMs: Number(text) };
      else return `must be 0, an interval from 1 to ${FLUSH_INTERVAL_MS_MAX} ms, or ${FLUSH_NEVER}`;
      return undefined;
    },
    remove: (override) => { delete override.flush; },
  },
  integerSetting('max.compaction.lag.ms', 'maxCompactionLagMs', ConfigType.LONG, 'log.cleaner.max.compaction.lag.ms', 'A closed segment of a compacted topic is cleaned at the latest this long after its newest record, whatever the dirty ratio.'),
  integerSetting('max.message.bytes', 'maxMessageBytes', ConfigType.INT, 'message.max.bytes', 'The largest record batch a producer may append.'),
  ratioSetting('min.cleanable.dirty.ratio', 'minCleanableDirtyRatio', 'log.cleaner.min.cleanable.ratio', 'A compacted partition is cleaned once this share of its closed-segment bytes was written since its last cleaning.'),
  integerSetting('min.compaction.lag.ms', 'minCompactionLagMs', ConfigType.LONG, 'log.cleaner.min.compaction.lag.ms', 'A record of a compacted topic stays uncompacted at least this long after it was appended.'),
  fixedSetting('message.timestamp.type', ConfigType.STRING, 'log.message.timestamp.type', 'CreateTime', 'records keep the timestamp their producer gave them',
    'Which timestamp records carry: CreateTime, the one their producer set.'),
  integerSetting('retention.bytes', 'retentionBytes', ConfigType.LONG, 'log.retention.bytes', 'Per partition: the oldest segments are deleted while the partition is larger than this; -1 for no limit.'),
  integerSetting('retention.ms', 'retentionMs', ConfigType.LONG, 'log.retention.ms', 'Segments whose newest record is older than this are deleted; -1 keeps them forever.'),
  integerSetting('segment.bytes', 'segmentBytes', ConfigType.INT, 'log.segment.bytes', 'A segment file rolls when it would grow past this many bytes.'),
  integerSetting('segment.ms', 'segmentMs', ConfigType.LONG, 'log.roll.ms', 'A segment rolls when its first record is older than this.'),
  {
    name: 'tributary.flush.policy', type: ConfigType.STRING, brokerSynonym: 'tributary.flush.policy',
    documentation: 'When an append counts as durable: always (fdatasync before acknowledging), interval (at most every flush.ms) or os (once in the page cache).',
    read: (config) => config.flush.policy,
    isSetIn: (override) => override.flush?.policy !== undefined,
    write: (override, value) => {
      const policy = value.trim() as (typeof FLUSH_POLICIES)[number];
      if (!FLUSH_POLICIES.includes(policy)) return `must be ${FLUSH_POLICIES.join(', ')}`;
      override.flush = { ...override.flush, policy };
      return undefined;
    },
    remove: (override) => {
      if (override.flush === undefined) return;
      const { policy: _policy, ...rest } = override.flush;
      if (Object.keys(rest).length === 0) delete override.flush;
      else override.flush = rest;
    },
  },
];

/** Every topic config this broker knows, by Kafka name, in name order. */
export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDefinition> = new Map(definitions.map((definition) => [definition.name, definition]));

/** The named topic config, with its value, source and synonyms. */
export function topicConfigEntry(definition: TopicConfigDefinition, topic: { config: TopicConfig; overrides: TopicOverride }, topicDefaults: TopicConfig): ConfigEntry {
  const fromYaml = definition.read(topicDefaults);
  const builtIn = definition.read(DEFAULT_TOPIC_CONFIG);
  return layeredEntry({ name: definition.name, type: definition.type, readOnly: false, documentation: definition.documentation }, [
    definition.isSetIn(topic.overrides) ? { name: definition.name, value: definition.read(topic.config), source: ConfigSource.DYNAMIC_TOPIC_CONFIG } : undefined,
    fromYaml === builtIn ? undefined : { name: definition.brokerSynonym, value: fromYaml, source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: definition.brokerSynonym, value: builtIn, source: ConfigSource.DEFAULT_CONFIG },
  ]);
}

/** Every topic config of a topic (or of one about to be created). */
export function topicConfigEntries(topic: { config: TopicConfig; overrides: TopicOverride }, topicDefaults: TopicConfig): ConfigEntry[] {
  return [...TOPIC_CONFIGS.values()].map((definition) => topicConfigEntry(definition, topic, topicDefaults));
}
