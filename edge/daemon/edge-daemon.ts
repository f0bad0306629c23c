// The edge daemon's composition root: the broker core (log, Kafka protocol, admin HTTP)
// plus the MQTT front end, the embedded mirror and the console. The only place that
// wires the parts together.
import type { Config } from '../../shared/config/schema.ts';
import type { Logger } from '../../shared/logger.ts';
import { startBrokerCore, type NodePorts } from './broker-core.ts';
import { registerConsole } from '../http/console/console-routes.ts';
import { groupsProviderFor, mqttClientsProviderFor, topicsProviderFor } from '../http/console/daemon-providers.ts';
import { startMqttFrontEnd } from '../mqtt/index.ts';
import type { LogStore } from '../storage/index.ts';
import type { Mirror, OffsetStore } from '../../mirror/index.ts';
import { mirrorConfigured, mirrorRoute } from '../../mirror/status-route.ts';
import { tlsListen } from '../listeners/tls-listen.ts';

export type EdgePorts = NodePorts;

export interface EdgeDaemon {
  readonly ports: EdgePorts;
  readonly store: LogStore;
  close(): Promise<void>;
}

export async function startEdge(config: Config, logger: Logger): Promise<EdgeDaemon> {
  // The mirror (and the Kafka client it brings, tens of MB) is loaded only when configured.
  const mirrorModule = mirrorConfigured(config) ? await import('../../mirror/index.ts') : undefined;
  // Retention keeps what the mirror has not delivered; the mirror and the offsets it commits come up later.
  const mirrorParts: { mirror?: Mirror; offsets?: OffsetStore } = {};
  const core = await startBrokerCore(config, logger, { role: 'edge', deliveredOffset: mirrorModule?.deliveredOffsetHook(config, () => mirrorParts) });
  try {
    const { store, kafka, admin, ports } = core;
    const mqtt = await startMqttFrontEnd({
      config: config.mqtt,
      listeners: { mqtt: config.listeners.mqtt, mqttWs: config.listeners.mqttWs.enabled ? config.listeners.mqttWs : null, mqtts: tlsListen(config.listeners.mqtts, 'listeners.mqtts') },
      store,
      dataDir: core.dataDir,
      logger: logger.child({ part: 'mqtt' }),
      registry: core.registry,
    });
    ports.mqtt = mqtt.ports.mqtt;
    ports.mqttWs = mqtt.ports.mqttWs;
    ports.mqtts = mqtt.ports.mqtts;
    core.onClose(() => mqtt.close());

    mirrorParts.offsets = kafka.groups;
    mirrorParts.mirror = mirrorModule?.startEmbeddedMirror({ config, store, offsets: kafka.groups, registry: core.registry, logger: logger.child({ part: 'mirror' }) });
    if (mirrorParts.mirror) core.onClose(() => mirrorParts.mirror?.close());

    admin.route('GET /api/mirror', mirrorRoute(config, () => mirrorParts.mirror));
    const consoleRoutes = registerConsole(admin, {
      topics: topicsProviderFor(store),
      groups: groupsProviderFor(kafka.groups),
      mqttClients: mqttClientsProviderFor(mqtt.broker),
      mirror: { report: () => mirrorParts.mirror?.report() },
    });
    core.onClose(() => consoleRoutes.close());
    await core.ready();
    return { ports, store, close: () => core.close() };
  } catch (error) {
    await core.close();
    throw error;
  }
}
