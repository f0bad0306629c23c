// One config as DescribeConfigs (and CreateTopics v5+) report it: its value, where the value
// comes from (Kafka's ConfigSource), its type (KIP-226's ConfigType, v3+), whether it can be
// altered, its synonyms from the most specific to the default (v1+, KIP-226) and a line of
// documentation (v3+, KIP-569).

/** Resource types of DescribeConfigs and AlterConfigs (Kafka's ConfigResource.Type). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** Kafka's DescribeConfigsResponse.ConfigType. */
export const ConfigType = { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ConfigTypeCode = (typeof ConfigType)[keyof typeof ConfigType];

/** Kafka's DescribeConfigsResponse.ConfigSource. */
export const ConfigSource = {
  UNKNOWN: 0,
  /** Set on the topic itself: through the Kafka API or under topics.overrides in the YAML. */
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  /** Set in the device's YAML file, as Kafka's server.properties. */
  STATIC_BROKER_CONFIG: 4,
  /** Tributary's built-in default. */
  DEFAULT_CONFIG: 5,
} as const;
export type ConfigSourceCode = (typeof ConfigSource)[keyof typeof ConfigSource];

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSourceCode;
}

/** A config with its value and where it comes from, ready for a response. */
export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: ConfigSourceCode;
  type: ConfigTypeCode;
  documentation: string;
  /** From the most specific to the built-in default, the entry's own source first. */
  synonyms: ConfigSynonym[];
}

/** What a DescribeConfigs request asks to see beyond names and values. */
export interface DescribeOptions {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

/** The DescribeConfigs response entry of one config. */
export function describedConfig(entry: ConfigEntry, options: DescribeOptions) {
  return {
    name: entry.name,
    value: entry.value,
    readOnly: entry.readOnly,
    // v0 has only this flag; later versions carry the source.
    isDefault: entry.source === ConfigSource.DEFAULT_CONFIG,
    configSource: entry.source,
    isSensitive: false,
    synonyms: options.includeSynonyms ? entry.synonyms : [],
    configType: entry.type,
    documentation: options.includeDocumentation ? entry.documentation : null,
  };
}

/** What a config is, apart from its value. */
export interface ConfigDescription {
  name: string;
  type: ConfigTypeCode;
  readOnly: boolean;
  documentation: string;
}

/**
 * A config whose value comes in layers, most specific first: set on the resource itself, set
 * in the YAML file, built in. Absent layers are left out; the first one present gives the
 * value and its source, and all of them are its synonyms.
 */
export function layeredEntry(description: ConfigDescription, layers: readonly (ConfigSynonym | undefined)[]): ConfigEntry {
  const present = layers.filter((layer): layer is ConfigSynonym => layer !== undefined);
  const top = present[0];
  if (top === undefined) throw new Error(`assertion failed: config ${description.name} has no value at all`);
  return { ...description, value: top.value, source: top.source, synonyms: present };
}
