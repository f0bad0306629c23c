// Runs kafka-client.py (confluent-kafka, librdkafka) against a daemon's Kafka port and
// returns one outcome per operation.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requirePythonModule } from '../../../helpers/system-programs.ts';

const CLIENT_SCRIPT = join(import.meta.dirname, 'kafka-client.py');
/** Bound on one run; creating ten thousand topics on a loaded machine takes minutes at worst. */
const RUN_TIMEOUT_MS = 600_000;

export interface KafkaClientOutcome { op: string; topic?: string; error: string; message?: string; values?: string[] }

export type KafkaClientOperation =
  | { op: 'create' | 'partitions'; topic: string; partitions: number; validateOnly?: boolean }
  | { op: 'delete'; topic: string }
  | { op: 'create-many'; prefix: string; count: number }
  | { op: 'produce' | 'consume'; topics: string[]; records: number };

export function runKafkaClient(port: number, operations: KafkaClientOperation[]): KafkaClientOutcome[] {
  const output = execFileSync(requirePythonModule('confluent_kafka'), [CLIENT_SCRIPT, `127.0.0.1:${port}`, JSON.stringify(operations)], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  return output.trim().split('\n').map((line) => JSON.parse(line) as KafkaClientOutcome);
}
