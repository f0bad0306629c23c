// The edge daemon's composition root: opens the log, starts the listeners, and closes
// them again in reverse order. The only place that wires the parts together.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../shared/config/schema.ts';
import { resolveTopicConfig } from '../shared/config/topic-config.ts';
import type { Logger } from '../shared/logger.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { AdminServer } from './http/admin-server.ts';
import { registerConsole } from './http/console/console-routes.ts';
import { groupsProviderFor, mqttClientsProviderFor, topicsProviderFor } from './http/console/daemon-providers.ts';
import { startKafkaServer } from './kafka/server.ts';
import { startMqttFrontEnd } from './mqtt/index.ts';
import { LogStore } from './storage/index.ts';
import { deliveredOffsetHook, mirrorRoute, startEmbeddedMirror, type Mirror, type OffsetStore } from '../mirror/index.ts';
// Registers snappy and lz4 beside gzip and zstd, so every batch a client may send can be read.
import '../shared/kafka/compression.ts';

export interface EdgePorts {
  kafka?: number;
  mqtt?: number;
  mqttWs?: number;
  http: number;
}

export interface EdgeDaemon {
  readonly ports: EdgePorts;
  readonly store: LogStore;
  close(): Promise<void>;
}

export async function startEdge(config: Config, logger: Logger): Promise<EdgeDaemon> {
  const dataDir = resolve(config.node.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const closers: (() => Promise<void> | void)[] = [unlock];
  let state: 'starting' | 'ok' | 'stopping' = 'starting';
  const startedAt = Date.now();

  async function closeAll(): Promise<void> {
    state = 'stopping';
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    closers.length = 0;
  }

  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'tributary_' });

    // Retention keeps what the mirror has not delivered; the mirror and the offsets it commits come up later.
    const mirrorParts: { mirror?: Mirror; offsets?: OffsetStore } = {};
    const store = await LogStore.open({
      dataDir,
      logger: logger.child({ part: 'storage' }),
      registry,
      storage: config.storage,
      topicDefaults: config.topics.defaults,
      deliveredOffset: deliveredOffsetHook(config, () => mirrorParts),
    });
    closers.push(() => store.close());
    await declareTopics(store, config, logger);

    const ports: EdgePorts = { http: 0 };
    const kafka = await startKafkaServer({
      listener: config.listeners.kafka,
      config: config.kafka,
      topicDefaults: config.topics.defaults,
      store,
      dataDir,
      logger: logger.child({ part: 'kafka' }),
      registry,
    });
    ports.kafka = kafka.port;
    closers.push(() => kafka.close());

    const mqtt = await startMqttFrontEnd({
      config: config.mqtt,
      listeners: { mqtt: config.listeners.mqtt, mqttWs: config.listeners.mqttWs.enabled ? config.listeners.mqttWs : null },
      store,
      dataDir,
      logger: logger.child({ part: 'mqtt' }),
      registry,
    });
    ports.mqtt = mqtt.ports.mqtt;
    ports.mqttWs = mqtt.ports.mqttWs;
    closers.push(() => mqtt.close());

    mirrorParts.offsets = kafka.groups;
    mirrorParts.mirror = startEmbeddedMirror({ config, store, offsets: kafka.groups, registry, logger: logger.child({ part: 'mirror' }) });
    if (mirrorParts.mirror) closers.push(() => mirrorParts.mirror?.close());

    const admin = new AdminServer({
      host: config.listeners.http.host,
      port: config.listeners.http.port,
      registry,
      logger: logger.child({ part: 'http' }),
      health: () => ({ status: state, node: config.node.id, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), ports, topics: store.listTopics().length, diskUsageBytes: store.diskUsageBytes() }),
    });
    admin.route('GET /api/mirror', mirrorRoute(config, () => mirrorParts.mirror));
    const consoleRoutes = registerConsole(admin, {
      topics: topicsProviderFor(store),
      groups: groupsProviderFor(kafka.groups),
      mqttClients: mqttClientsProviderFor(mqtt.broker),
      mirror: { report: () => mirrorParts.mirror?.report() },
    });
    closers.push(() => consoleRoutes.close());
    ports.http = await admin.listen();
    closers.push(() => admin.close());

    state = 'ok';
    logger.info({ event: 'ready', node: config.node.id, dataDir, ports }, 'tributary edge is ready');
    return { ports, store, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Topics named under topics.overrides exist with their settings after start. */
async function declareTopics(store: LogStore, config: Config, logger: Logger): Promise<void> {
  for (const [name, override] of Object.entries(config.topics.overrides)) {
    const existing = store.describeTopic(name);
    if (!existing) {
      await store.createTopic(name, override);
      logger.info({ topic: name }, 'created declared topic');
      continue;
    }
    const wanted = resolveTopicConfig(config.topics.defaults, override);
    if (wanted.partitions > existing.partitions) await store.createPartitions(name, wanted.partitions);
    const { partitions: _partitions, ...settings } = override;
    if (Object.keys(settings).length > 0) await store.alterTopicConfig(name, settings);
  }
}
