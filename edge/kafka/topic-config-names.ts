// Kafka's topic config names (retention.ms, segment.bytes, …) and Tributary's TopicConfig,
// both ways: CreateTopics and DescribeConfigs speak Kafka's names.
import type { TopicConfig, TopicOverride } from '../../shared/config/topic-config.ts';

interface ConfigName {
  read(config: TopicConfig): string;
  /** Sets the override from a string; returns an error message when the value is wrong. */
  write(override: TopicOverride, value: string): string | undefined;
}

function integerSetting(key: 'retentionMs' | 'retentionBytes' | 'segmentBytes' | 'segmentMs' | 'maxMessageBytes', minimum: number): ConfigName {
  return {
    read: (config) => String(config[key]),
    write: (override, value) => {
      const number = Number(value);
      if (!Number.isSafeInteger(number) || number < minimum) return `must be an integer >= ${minimum}`;
      override[key] = number;
      return undefined;
    },
  };
}

export const TOPIC_CONFIG_NAMES: Record<string, ConfigName> = {
  'retention.ms': integerSetting('retentionMs', -1),
  'retention.bytes': integerSetting('retentionBytes', -1),
  'segment.bytes': integerSetting('segmentBytes', 1024),
  'segment.ms': integerSetting('segmentMs', 1000),
  'max.message.bytes': integerSetting('maxMessageBytes', 64),
  'flush.ms': {
    // Kafka's flush.ms bounds the time between fsyncs: Tributary's interval policy.
    read: (config) => String(config.flush.policy === 'interval' ? config.flush.intervalMs : config.flush.policy === 'always' ? 0 : Number.MAX_SAFE_INTEGER),
    write: (override, value) => {
      const number = Number(value);
      if (!Number.isSafeInteger(number) || number < 0) return 'must be an integer >= 0';
      override.flush = number === 0 ? { policy: 'always' } : { policy: 'interval', intervalMs: Math.min(number, 60_000) };
      return undefined;
    },
  },
  'tributary.flush.policy': {
    read: (config) => config.flush.policy,
    write: (override, value) => {
      if (value !== 'always' && value !== 'interval' && value !== 'os') return 'must be always, interval or os';
      override.flush = { ...override.flush, policy: value };
      return undefined;
    },
  },
  'cleanup.policy': {
    read: () => 'delete',
    write: (_override, value) => (value === 'delete' ? undefined : 'only "delete" is supported (no compaction)'),
  },
};

/** An override from Kafka config entries, or the first error as "name: message". */
export function overrideFromKafkaConfigs(entries: readonly { name: string; value: string | null }[]): { override: TopicOverride } | { error: string } {
  const override: TopicOverride = {};
  for (const { name, value } of entries) {
    const setting = TOPIC_CONFIG_NAMES[name];
    if (!setting) return { error: `${name}: unknown topic config (known: ${Object.keys(TOPIC_CONFIG_NAMES).join(', ')})` };
    if (value === null) continue;
    const problem = setting.write(override, value);
    if (problem) return { error: `${name}: ${problem}, not "${value}"` };
  }
  return { override };
}
