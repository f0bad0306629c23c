// The edge daemon's composition root: the broker core (log, Kafka protocol, admin HTTP)
// plus the MQTT front end, the embedded mirror and the console. The only place that
// wires the parts together.
import type { Config } from '../../shared/config/schema.ts';
import type { Logger } from '../../shared/logger.ts';
import { startBrokerCore, type NodePorts } from './broker-core.ts';
import { registerConsole } from '../http/console/console-routes.ts';
import { groupsProviderFor, topicsProviderFor } from '../http/console/daemon-providers.ts';
import { startMqttFrontEnd } from '../mqtt/index.ts';
import type { LogStore } from '../storage/index.ts';
import type { Mirror, OffsetStore } from '../../mirror/index.ts';
import { mirrorConfigured, mirrorRoute } from '../../mirror/status-route.ts';
import { tlsListen } from '../listeners/tls-listen.ts';
import { pipelineRoutes } from '../pipelines/admin-routes.ts';

export type EdgePorts = NodePorts;

export interface EdgeDaemon {
  readonly ports: EdgePorts;
  readonly store: LogStore;
  /** Applies the live settings of `candidate` (see live-reload.ts); throws, changing nothing, when a part refuses them. */
  reload(candidate: Config): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startEdge(config: Config, logger: Logger): Promise<EdgeDaemon> {
  // The mirror (and the Kafka client it brings, tens of MB) is loaded only when configured.
  const mirrorModule = mirrorConfigured(config) ? await import('../../mirror/index.ts') : undefined;
  // Pipelines (and the expression library they bring) likewise, only when some are declared.
  const pipelinesModule = config.pipelines.length > 0 ? await import('../pipelines/index.ts') : undefined;
  // Retention keeps what the mirror has not delivered; the mirror and the offsets it commits come up later.
  const mirrorParts: { mirror?: Mirror; offsets?: OffsetStore } = {};
  const core = await startBrokerCore(config, logger, { role: 'edge', deliveredOffset: mirrorModule?.deliveredOffsetHook(config, () => mirrorParts) });
  try {
    const { store, kafka, admin, ports } = core;
    const mqtt = await startMqttFrontEnd({
      config: config.mqtt,
      listeners: { mqtt: config.listeners.mqtt, mqttWs: config.listeners.mqttWs.enabled ? config.listeners.mqttWs : null, mqtts: tlsListen(config.listeners.mqtts, 'listeners.mqtts') },
      store,
      certificatePrincipals: kafka.certificatePrincipals,
      authorizer: kafka.authorizer,
      dataDir: core.dataDir,
      logger: logger.child({ part: 'mqtt' }),
      registry: core.registry,
      memoryGuard: core.memoryGuard,
    });
    ports.mqtt = mqtt.ports.mqtt;
    ports.mqttWs = mqtt.ports.mqttWs;
    ports.mqtts = mqtt.ports.mqtts;
    core.onClose(() => mqtt.close());
    core.onReload('mqtt', (candidate) => mqtt.prepareReload({ authentication: candidate.mqtt.authentication, mqtts: tlsListen(candidate.listeners.mqtts, 'listeners.mqtts') }));

    const pipelines = await pipelinesModule?.PipelineRunner.start({ pipelines: config.pipelines, log: store, registry: core.registry, logger: logger.child({ part: 'pipelines' }) });
    if (pipelines) core.onClose(() => pipelines.close());
    for (const [path, handler] of Object.entries(pipelineRoutes(() => pipelines))) admin.route(path, handler);

    mirrorParts.offsets = kafka.groups;
    mirrorParts.mirror = mirrorModule?.startEmbeddedMirror({ config, store, offsets: kafka.groups, registry: core.registry, logger: logger.child({ part: 'mirror' }) });
    if (mirrorParts.mirror) core.onClose(() => mirrorParts.mirror?.close());

    admin.route('GET /api/mirror', mirrorRoute(config, () => mirrorParts.mirror));
    const consoleRoutes = registerConsole(admin, core.registry, {
      node: { health: () => admin.health(), dataDir: core.dataDir, topicDefaults: { ...config.topics.defaults } },
      topics: topicsProviderFor(store),
      groups: groupsProviderFor(kafka.groups),
      mqttClients: mqtt,
      pipelines,
      mirror: mirrorConfigured(config) ? { report: () => mirrorParts.mirror?.report(), deliveredGroup: config.mirror.source.deliveredGroup } : undefined,
    });
    core.onClose(() => consoleRoutes.close());

    // The connectors' code (and the clients of the types configured) is loaded only when some are configured.
    if (config.connectors.length > 0) {
      const { startConnectors, connectorsRoute } = await import('../connectors/index.ts');
      const connectors = await startConnectors({ configs: config.connectors, store, offsets: kafka.groups, dataDir: core.dataDir, registry: core.registry, logger: logger.child({ part: 'connectors' }) });
      core.onClose(() => connectors.close());
      core.addHealth('connectors', () => connectors.health());
      admin.route('GET /api/connectors', connectorsRoute(connectors));
    }
    await core.ready();
    return { ports, store, reload: (candidate) => core.reload(candidate), close: () => core.close() };
  } catch (error) {
    await core.close();
    throw error;
  }
}
