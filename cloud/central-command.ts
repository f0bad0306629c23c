// `tributary central [--config FILE]`: runs the embedded single-node central until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { defaultConfig, loadConfigFile } from '../shared/config/load.ts';
import { createLogger } from '../shared/logger.ts';
import { runUntilSignal } from '../shared/run-until-signal.ts';
import { startCentral } from './central.ts';

const USAGE = `usage: tributary central [--config FILE]

Runs a single-node central cluster: Tributary's log and Kafka-protocol server without
MQTT, for development, tests, demos and small fleets. Edge mirrors, \`tributary fleet\`
and any Kafka client use it as they would Apache Kafka. It reads node, listeners.kafka,
listeners.http, storage, topics, kafka and log from the YAML file. Without --config:
data in ./data, Kafka protocol on 127.0.0.1:9092, HTTP on 127.0.0.1:8080.
Stops cleanly (exit 0) on SIGTERM or SIGINT.`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = values.config ? loadConfigFile(values.config) : defaultConfig();
  const logger = createLogger({ level: config.log.level, name: 'tributary-central' });
  return runUntilSignal(logger, () => startCentral(config, logger));
}
