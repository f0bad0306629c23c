// `tributary edge [--config FILE]`: runs the edge daemon until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { defaultConfig, loadConfigFile } from '../../shared/config/load.ts';
import { createLogger } from '../../shared/logger.ts';
import { startEdge, type EdgeDaemon } from '../daemon/edge-daemon.ts';
import { reloadOnHangup } from './reload-on-hangup.ts';
import { runUntilSignal } from '../../shared/run-until-signal.ts';
const USAGE = `usage: tributary edge [--config FILE]

Runs the edge broker. Without --config it runs on built-in defaults: data in ./data,
Kafka protocol on 127.0.0.1:9092, MQTT on 0.0.0.0:1883, HTTP admin on 127.0.0.1:8080.
Stops cleanly (exit 0) on SIGTERM or SIGINT. SIGHUP re-reads the file: the log level,
TLS certificates, users and permissions apply at once (connections of removed users are
closed), other changes are logged as needing a restart.`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = values.config ? loadConfigFile(values.config) : defaultConfig();
  const logger = createLogger({ level: config.log.level, name: 'tributary-edge' });
  let daemon: EdgeDaemon | undefined;
  const stopReloading = reloadOnHangup(values.config, config, logger, () => daemon);
  try {
    return await runUntilSignal(logger, async () => (daemon = await startEdge(config, logger)));
  } finally {
    stopReloading();
  }
}
