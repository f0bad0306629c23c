// A topic's settings at run time: the built-in defaults, the bounds of each setting and how
// an override applies. Read from the validator generated from topic-config.ts's schema,
// so that the daemon gets them without loading TypeBox (validator-source.ts says why).
import type { StorageConfig, TopicConfig, TopicOverride } from './topic-config.ts';
import { topicConfigSchema, validateConfig } from './validate-config.generated.js';

/** Every default, as the validator fills them into an empty configuration. */
function filledDefaults(): { storage: StorageConfig; topics: { defaults: TopicConfig } & TopicLimits } {
  const empty = {};
  validateConfig(empty);
  return empty as { storage: StorageConfig; topics: { defaults: TopicConfig } & TopicLimits };
}

/** topics.maxTopics and topics.maxPartitions: how many topics and partitions the store creates at most. */
export interface TopicLimits {
  maxTopics: number;
  maxPartitions: number;
}

const defaults = filledDefaults();
export const DEFAULT_TOPIC_CONFIG: TopicConfig = defaults.topics.defaults;
export const DEFAULT_STORAGE_CONFIG: StorageConfig = defaults.storage;
export const DEFAULT_TOPIC_LIMITS: TopicLimits = { maxTopics: defaults.topics.maxTopics, maxPartitions: defaults.topics.maxPartitions };

/** A setting's bounds as the schema gives them (flush.intervalMs as `flush.intervalMs`). */
export function topicSettingBounds(key: string): { minimum?: number; maximum?: number } {
  const [outer, inner] = key.split('.') as [string, string | undefined];
  const schema = topicConfigSchema.properties[outer];
  return (inner === undefined ? schema : schema?.properties?.[inner]) ?? {};
}

/** The effective config of a topic: defaults, then the override, then request settings. */
export function resolveTopicConfig(defaults: TopicConfig, ...overrides: (TopicOverride | undefined)[]): TopicConfig {
  let config: TopicConfig = { ...defaults, flush: { ...defaults.flush } };
  for (const override of overrides) {
    if (!override) continue;
    const { flush, ...rest } = override;
    config = { ...config, ...stripUndefined(rest), flush: { ...config.flush, ...stripUndefined(flush ?? {}) } };
  }
  return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
