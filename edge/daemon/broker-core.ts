// What every node runs, edge or central: the data directory lock, the metrics registry,
// the log store with the declared topics, the Kafka-protocol server and the admin HTTP
// port. The edge adds MQTT, the mirror and the console on top; the central adds nothing.
// Parts stop in the reverse order they started, so nothing writes to a closed log.
import { flushCompileCache } from 'node:module';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../shared/config/schema.ts';
import { resolveTopicConfig } from '../../shared/config/topic-settings.ts';
import type { Logger } from '../../shared/logger.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { AdminAccess } from '../http/admin-auth.ts';
import { LiveReload, type PrepareReload } from './live-reload.ts';
import { AdminServer } from '../../shared/http/admin-server.ts';
import { registerNodeMetrics } from '../http/node-metrics.ts';
import { startKafkaServer, type KafkaServer } from '../kafka/server.ts';
import { tlsListen } from '../listeners/tls-listen.ts';
import { LogStore, type LogStoreOptions } from '../storage/index.ts';
import { MemoryGuard, type LoadShedding } from './memory-guard.ts';

export type NodeRole = 'edge' | 'central';

export interface NodePorts {
  kafka: number;
  kafkaTls?: number;
  http: number;
  mqtt?: number;
  mqttWs?: number;
  mqtts?: number;
}

export interface BrokerCore {
  readonly dataDir: string;
  readonly registry: Registry;
  readonly store: LogStore;
  readonly kafka: KafkaServer;
  /** Whether the heap is near its limit (memory-guard.ts): the protocols refuse new work while it is. */
  readonly memoryGuard: LoadShedding;
  /** Routes may be added until `ready()`; it listens then. */
  readonly admin: AdminServer;
  readonly ports: NodePorts;
  /** Runs `close` when the node stops, before whatever started earlier. */
  onClose(close: () => Promise<void> | void): void;
  /** Adds a part whose settings SIGHUP reloads (live-reload.ts). */
  onReload(name: string, prepare: PrepareReload): void;
  /** Applies the live settings of `candidate` to every part, or throws and changes none (live-reload.ts). */
  reload(candidate: Config): Record<string, unknown>;
  /** Adds a section to /health, e.g. `connectors`; it never changes the status. */
  addHealth(section: string, read: () => unknown): void;
  /** Opens the admin port, logs the "ready" event with every bound port. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface BrokerCoreOptions {
  role: NodeRole;
  deliveredOffset?: LogStoreOptions['deliveredOffset'];
}

export async function startBrokerCore(config: Config, logger: Logger, options: BrokerCoreOptions): Promise<BrokerCore> {
  const dataDir = resolve(config.node.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const closers: (() => Promise<void> | void)[] = [await lockDataDir(dataDir)];
  let state: 'starting' | 'ok' | 'stopping' = 'starting';
  const startedAt = Date.now();
  const healthSections = new Map<string, () => unknown>();

  async function close(): Promise<void> {
    state = 'stopping';
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    closers.length = 0;
  }

  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'tributary_' });
    registerNodeMetrics(registry, config);
    const memoryGuard = new MemoryGuard(config.node.memoryGuard, logger.child({ part: 'memory' }), registry);
    memoryGuard.start();
    closers.push(() => memoryGuard.stop());
    const store = await LogStore.open({
      dataDir,
      logger: logger.child({ part: 'storage' }),
      registry,
      storage: config.storage,
      topicDefaults: config.topics.defaults,
      topicLimits: { maxTopics: config.topics.maxTopics, maxPartitions: config.topics.maxPartitions },
      deliveredOffset: options.deliveredOffset,
    });
    closers.push(() => store.close());
    await declareTopics(store, config, logger);

    const kafka = await startKafkaServer({
      listener: config.listeners.kafka,
      tlsListener: tlsListen(config.listeners.kafkaTls, 'listeners.kafkaTls'),
      config: config.kafka,
      topicDefaults: config.topics.defaults,
      store,
      dataDir,
      logger: logger.child({ part: 'kafka' }),
      registry,
      memoryGuard,
    });
    closers.push(() => kafka.close());

    const liveReload = new LiveReload();
    liveReload.add('kafka', (candidate) => kafka.prepareReload({ sasl: candidate.kafka.sasl, authorization: candidate.kafka.authorization, tlsListener: tlsListen(candidate.listeners.kafkaTls, 'listeners.kafkaTls') }));
    const adminAccess = new AdminAccess(config);
    liveReload.add('admin', (candidate) => adminAccess.prepareReload(candidate));

    const ports: NodePorts = { kafka: kafka.port, http: 0 };
    if (kafka.tlsPort !== undefined) ports.kafkaTls = kafka.tlsPort;
    const admin = new AdminServer({
      key: 'listeners.http',
      host: config.listeners.http.host,
      port: config.listeners.http.port,
      registry,
      logger: logger.child({ part: 'http' }),
      authenticate: adminAccess.authenticate,
      health: () => ({ status: state, role: options.role, node: config.node.id, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), ports, topics: store.listTopics().length, diskUsageBytes: store.diskUsageBytes(), ...Object.fromEntries([...healthSections].map(([section, read]) => [section, read()])) }),
    });

    return {
      dataDir,
      registry,
      store,
      kafka,
      memoryGuard,
      admin,
      ports,
      onClose: (closer) => { closers.push(closer); },
      onReload: (name, prepare) => liveReload.add(name, prepare),
      reload: (candidate) => liveReload.apply(candidate),
      addHealth: (section, read) => { healthSections.set(section, read); },
      async ready() {
        ports.http = await admin.listen();
        closers.push(() => admin.close());
        state = 'ok';
        // The compile cache (bin/tributary.js) is otherwise written only at a clean exit: a
        // device that loses power never exits cleanly, and every later start would type-strip
        // the sources again, 25 MB more resident while idle. Written once ready, it holds
        // every module the daemon has loaded by then.
        flushCompileCache();
        // Always written, whatever log.level says: scripts read the bound ports from it.
        logger.child({}, { level: 'info' }).info({ event: 'ready', role: options.role, node: config.node.id, dataDir, ports }, `tributary ${options.role} is ready`);
      },
      close,
    };
  } catch (error) {
    await close();
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
