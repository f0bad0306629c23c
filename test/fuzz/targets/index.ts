// The fuzz targets, by name. Each entry names the module that exports the target and the
// source files the fuzzer measures coverage of (paths from the project root, or packages
// in node_modules). It is kept apart from the targets themselves so that the coverage
// hooks are in place before any code under test is loaded.

export interface TargetEntry {
  /** Module (relative to this folder) whose default export is a FuzzTarget. */
  module: string;
  /** Files and folders whose coverage guides the fuzzer, from the project root. */
  coverage: string[];
  /** Largest input the fuzzer makes; seeds are cut to it. */
  inputBytesMax: number;
  /** What the target decodes, for the report. */
  description: string;
}

export const TARGETS: Record<string, TargetEntry> = {
  'kafka-request': {
    module: './kafka-request.ts',
    coverage: ['shared/kafka/wire/', 'shared/kafka/protocol/', 'shared/kafka/apis/'],
    inputBytesMax: 64 * 1024,
    description: 'Kafka request frames, every served API and version (shared/kafka/wire decodeRequest)',
  },
  'record-batch': {
    module: './record-batch.ts',
    coverage: ['shared/kafka/record-batch.ts', 'shared/kafka/compression/', 'shared/kafka/protocol/reader.ts', 'shared/kafka/protocol/varint.ts'],
    inputBytesMax: 64 * 1024,
    description: 'RecordBatch v2 checks and record decoding under every codec (none, gzip, snappy, lz4, zstd)',
  },
  'mqtt-311': {
    module: './mqtt-stream.ts',
    coverage: ['edge/mqtt/connection-guard.ts', 'edge/mqtt/packets/'],
    inputBytesMax: 16 * 1024,
    description: 'MQTT 3.1.1 byte streams in any chunking, seeded from 3.1.1 clients: the connection guard and the packet parser the broker reads with (edge/mqtt/packets)',
  },
  'mqtt-5': {
    module: './mqtt-stream.ts',
    coverage: ['edge/mqtt/connection-guard.ts', 'edge/mqtt/packets/'],
    inputBytesMax: 16 * 1024,
    description: 'MQTT 5.0 byte streams in any chunking, seeded from MQTT 5 clients (properties, aliases, will delay, shared subscriptions): the same guard and parser',
  },
  'config-yaml': {
    module: './config-yaml.ts',
    coverage: ['shared/config/'],
    inputBytesMax: 8 * 1024,
    description: 'YAML configuration files (shared/config/load.ts parseConfig)',
  },
};
