// Tokens the mutator inserts for each target: the words of its format that random bytes
// would take long to spell (libFuzzer's -dict). Latin-1 strings, one byte per character.

/** MQTT 3.1.1: the protocol name with its length, the level byte, wildcards and separators. */
const MQTT = ['\x00\x04MQTT\x04', '\x00\x06MQIsdp\x03', '#', '+', '/', '\x00\x00', '\xc0\x00', '\xe0\x00', '\x82', '\x62\x02'];

/** YAML structure and the configuration's own keys. */
const YAML = [
  ': ', '\n', '\n  ', '- ', '{ ', ' }', '[', ']', '&a ', '*a', '<<: ', '!!str ', '!!int ', '|', '>', '"', "'", '#', '---\n', '...\n', '~', 'null', 'true', '0x', '.inf', '1e309',
  'node', 'dataDir', 'listeners', 'kafka', 'mqtt', 'mqttWs', 'mqtts', 'kafkaTls', 'http', 'host', 'port', 'topics', 'defaults', 'overrides', 'partitions', 'storage',
  'mirror', 'target', 'bootstrap', 'routes', 'reverseRoutes', 'limits', 'authentication', 'users', 'sasl', 'log', 'level', 'flush', 'policy', 'retentionMs', 'enabled',
];

export const DICTIONARIES: Record<string, string[]> = {
  'mqtt-311': MQTT,
  'config-yaml': YAML,
};
