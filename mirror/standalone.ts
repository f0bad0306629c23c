// The mirror as its own process (`tributary mirror --config FILE`, with the edge's YAML).
// The edge daemon holds its data directory, so a standalone mirror reads the edge log the
// way any application does: as a Kafka client of the edge's Kafka listener, fetching each
// partition at the offsets it chooses (no consumer group membership), and it appends
// reverse records by producing to it. It commits its delivered offsets there too, under
// mirror.source.deliveredGroup, where the edge's retention reads them.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../shared/config/schema.ts';
import { TributaryError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { configVersion } from '../shared/config/config-version.ts';
import { AdminServer } from '../shared/http/admin-server.ts';
import { KafkaEndpoint } from './endpoint.ts';
import { mirrorRoute } from './status-route.ts';
import { Mirror } from './mirror.ts';

export interface StandaloneMirror {
  readonly mirror: Mirror;
  readonly ports: { http: number };
  close(): Promise<void>;
}

export async function startStandaloneMirror(config: Config, logger: Logger): Promise<StandaloneMirror> {
  const mirrorConfig = config.mirror;
  if (mirrorConfig.target.bootstrap.length === 0) {
    throw new TributaryError('CONFIG_INVALID', 'mirror.target.bootstrap: name at least one broker of the central cluster (HOST:PORT)', { key: 'mirror.target.bootstrap' });
  }
  if (mirrorConfig.embedded) {
    throw new TributaryError('CONFIG_INVALID', 'mirror.embedded is true: `tributary edge` runs this mirror itself. Set mirror.embedded: false to run it as its own process (two mirrors of one edge would race each other)', { key: 'mirror.embedded' });
  }
  const listener = config.listeners.kafka;
  const bootstrap = mirrorConfig.source.bootstrap.length > 0 ? mirrorConfig.source.bootstrap : [`${listener.host === '0.0.0.0' || listener.host === '::' ? '127.0.0.1' : listener.host}:${listener.port}`];
  const edge = new KafkaEndpoint({
    name: `edge ${bootstrap.join(',')}`,
    errorCode: 'MIRROR_SOURCE_FAILED',
    bootstrap,
    clientId: `tributary-mirror-${config.node.id}-edge`,
    connectTimeoutMs: mirrorConfig.target.connectTimeoutMs,
    requestTimeoutMs: mirrorConfig.target.requestTimeoutMs,
    replicationFactor: -1,
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tributary_' });
  let mirror: Mirror;
  try {
    mirror = Mirror.start({ config: mirrorConfig, edgeId: config.node.id, configVersion: configVersion(config), edge, registry, logger });
  } catch (error) {
    await edge.close();
    throw error;
  }
  let state: 'ok' | 'stopping' = 'ok';
  const admin = new AdminServer({
    key: 'mirror.http',
    host: mirrorConfig.http.host,
    port: mirrorConfig.http.port,
    registry,
    logger: logger.child({ part: 'http' }),
    health: () => ({ status: state, role: 'mirror', node: config.node.id, edge: bootstrap, mirror: mirror.status() }),
  });
  admin.route('GET /api/mirror', mirrorRoute(config, () => mirror));
  let http: number;
  try {
    http = await admin.listen();
  } catch (error) {
    await mirror.close();
    await edge.close();
    throw error;
  }
  logger.info({ event: 'ready', role: 'mirror', node: config.node.id, edge: bootstrap, target: mirrorConfig.target.bootstrap, ports: { http } }, 'tributary mirror is ready');
  return {
    mirror,
    ports: { http },
    async close() {
      state = 'stopping';
      await mirror.close();
      await edge.close();
      await admin.close();
    },
  };
}
