// Connectors inside the edge daemon (README.md in this folder): sources that bring data
// into the log from PLCs and files, sinks that carry topics out to HTTP receivers and
// files, all declared under `connectors:` in the YAML and run by one runtime.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { ConnectorConfig, ConnectorType } from '../../shared/config/connectors-schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogStore } from '../storage/index.ts';
import { loadConnectorType } from './connector-types.ts';
import { ConnectorRuntime, type ConnectorStatus } from './runtime/connector-runtime.ts';
import { connectorLogOf, type GroupOffsetStore } from './runtime/log-access.ts';
import { ConnectorMetrics } from './runtime/metrics.ts';

export type { ConnectorStatus } from './runtime/connector-runtime.ts';
export type { GroupOffsetStore } from './runtime/log-access.ts';

export interface ConnectorsOptions {
  configs: readonly ConnectorConfig[];
  store: LogStore;
  offsets: GroupOffsetStore;
  dataDir: string;
  registry: Registry;
  logger: Logger;
}

export interface Connectors {
  /** Every connector's state and last error, for GET /api/connectors. */
  status(): ConnectorStatus[];
  /** One line of /health: how many run, and which are retrying. */
  health(): { configured: number; running: number; retrying: string[] };
  close(): Promise<void>;
}

/** Checks what the schema cannot (names unique), loads the types configured, and starts every connector. */
export async function startConnectors(options: ConnectorsOptions): Promise<Connectors> {
  const seen = new Map<string, number>();
  options.configs.forEach((config, index) => {
    const earlier = seen.get(config.name);
    if (earlier !== undefined) throw new TributaryError('CONFIG_INVALID', `connectors[${index}].name: "${config.name}" is the name of connectors[${earlier}] too; each connector needs its own (it names its position and metrics)`, { where: `connectors[${index}].name` });
    seen.set(config.name, index);
  });
  const log = connectorLogOf(options.store);
  const metrics = new ConnectorMetrics(options.registry);
  const factories = new Map<ConnectorType, Awaited<ReturnType<typeof loadConnectorType>>>();
  for (const type of new Set(options.configs.map((config) => config.type))) factories.set(type, await loadConnectorType(type));

  const runtimes = options.configs.map((config) => new ConnectorRuntime(factories.get(config.type)!(config, {
    log,
    offsets: options.offsets,
    directory: join(options.dataDir, 'connectors'),
    logger: options.logger.child({ connector: config.name }),
    meter: metrics.forConnector(config.name, config.type),
  })));
  for (const runtime of runtimes) runtime.start();
  options.logger.info({ connectors: options.configs.map((config) => `${config.name} (${config.type})`) }, 'connectors started');

  return {
    status: () => runtimes.map((runtime) => runtime.status()),
    health() {
      const statuses = runtimes.map((runtime) => runtime.status());
      return { configured: statuses.length, running: statuses.filter((status) => status.state === 'running').length, retrying: statuses.filter((status) => status.state === 'retrying').map((status) => status.name) };
    },
    async close() {
      await Promise.all(runtimes.map((runtime) => runtime.stop()));
    },
  };
}

/** GET /api/connectors on the admin port: every connector's state and last error. */
export function connectorsRoute(connectors: Connectors): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    const text = JSON.stringify({ connectors: connectors.status() });
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };
}
