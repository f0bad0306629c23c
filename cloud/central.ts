// `tributary central`: a single-node central cluster for development, tests, demos and
// small fleets. It is the edge's own engine without MQTT and without a mirror: the same
// durable log and the same Kafka-protocol server, so the mirror, `tributary fleet` and
// any Kafka tool talk to it as to Apache Kafka. It reads the same YAML keys as the edge
// (node, listeners.kafka, listeners.http, storage, topics, kafka, log) and ignores the
// MQTT and mirror sections.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../shared/config/schema.ts';
import { resolveTopicConfig } from '../shared/config/topic-config.ts';
import type { Logger } from '../shared/logger.ts';
// Registers snappy and lz4 beside gzip and zstd, so every batch a client may send can be read.
import '../shared/kafka/compression.ts';
import { lockDataDir } from '../edge/data-dir-lock.ts';
import { AdminServer } from '../edge/http/admin-server.ts';
import { startKafkaServer } from '../edge/kafka/server.ts';
import { LogStore } from '../edge/storage/index.ts';

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
  const dataDir = resolve(config.node.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const closers: (() => Promise<void> | void)[] = [unlock];
  let state: 'starting' | 'ok' | 'stopping' = 'starting';
  const startedAt = Date.now();
  const closeAll = async (): Promise<void> => {
    state = 'stopping';
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    closers.length = 0;
  };
  try {
    if (config.mirror.target.bootstrap.length > 0) logger.warn({ key: 'mirror' }, 'a central does not mirror; the mirror section is ignored');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'tributary_' });
    const store = await LogStore.open({ dataDir, logger: logger.child({ part: 'storage' }), registry, storage: config.storage, topicDefaults: config.topics.defaults });
    closers.push(() => store.close());
    for (const [name, override] of Object.entries(config.topics.overrides)) {
      const existing = store.describeTopic(name);
      if (existing === undefined) await store.createTopic(name, override);
      else if (resolveTopicConfig(config.topics.defaults, override).partitions > existing.partitions) await store.createPartitions(name, resolveTopicConfig(config.topics.defaults, override).partitions);
    }
    const kafka = await startKafkaServer({ listener: config.listeners.kafka, config: config.kafka, topicDefaults: config.topics.defaults, store, dataDir, logger: logger.child({ part: 'kafka' }), registry });
    closers.push(() => kafka.close());
    const ports: CentralPorts = { kafka: kafka.port, http: 0 };
    const admin = new AdminServer({
      host: config.listeners.http.host,
      port: config.listeners.http.port,
      registry,
      logger: logger.child({ part: 'http' }),
      health: () => ({ status: state, role: 'central', node: config.node.id, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), ports, topics: store.listTopics().length, diskUsageBytes: store.diskUsageBytes() }),
    });
    ports.http = await admin.listen();
    closers.push(() => admin.close());
    state = 'ok';
    logger.info({ event: 'ready', role: 'central', node: config.node.id, dataDir, ports }, 'tributary central is ready');
    return { ports, store, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
