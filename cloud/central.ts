// `tributary central`: a single-node central cluster for development, tests, demos and
// small fleets. It is the edge's own engine without MQTT and without a mirror: the same
// durable log and the same Kafka-protocol server, so the mirror, `tributary fleet` and
// any Kafka tool talk to it as to Apache Kafka. It reads the same YAML keys as the edge
// (node, listeners.kafka, listeners.http, storage, topics, kafka, log) and ignores the
// MQTT and mirror sections.
import type { Config } from '../shared/config/schema.ts';
import type { Logger } from '../shared/logger.ts';
import { startBrokerCore } from '../edge/daemon/broker-core.ts';
import type { LogStore } from '../edge/storage/index.ts';

export interface CentralPorts {
  kafka: number;
  http: number;
}

export interface Central {
  readonly ports: CentralPorts;
  readonly store: LogStore;
  close(): Promise<void>;
}

export async function startCentral(config: Config, logger: Logger): Promise<Central> {
  if (config.mirror.target.bootstrap.length > 0) logger.warn({ key: 'mirror' }, 'a central does not mirror; the mirror section is ignored');
  const core = await startBrokerCore(config, logger, { role: 'central' });
  try {
    await core.ready();
  } catch (error) {
    await core.close();
    throw error;
  }
  return { ports: core.ports, store: core.store, close: () => core.close() };
}
