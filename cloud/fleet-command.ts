// `tributary fleet --bootstrap HOST:PORT`: the fleet view, until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { TributaryError } from '../shared/errors.ts';
import { createLogger } from '../shared/logger.ts';
import { runUntilSignal } from '../shared/run-until-signal.ts';
import { DEFAULT_THRESHOLDS } from './fleet-alerts.ts';
import { FleetView } from './fleet.ts';

const USAGE = `usage: tributary fleet --bootstrap HOST:PORT[,HOST:PORT…] [options]

Reads the edges' heartbeats from a Kafka-API cluster and serves the fleet: a page at /
and JSON at /api/edges and /api/edges/<id> (last contact, link state, backlog,
throughput, errors, data lost).

options:
  --bootstrap LIST        brokers of the central cluster (required)
  --topic NAME            heartbeat topic (default tributary.heartbeats)
  --listen HOST:PORT      HTTP address (default 127.0.0.1:8090; port 0 picks one)
  --silent-after-ms N     an edge without a heartbeat for this long is "silent", and the
                          stale alert fires (default 90000)
  --lagging-after-s N     an edge this far behind is "lagging" (default 300)
  --backlog-growth-records N
                          alert when an edge's backlog grows by more than N records ...
  --backlog-growth-window-s N
                          ... within this many seconds (defaults 1000 and 600)
  --clock-skew-s N        alert when an edge's clock is off by more than N seconds (default 30)

Alerts are shown on the page, at /api/alerts and as tributary_fleet_edge_alert on
/metrics, with their thresholds (tributary_fleet_alert_threshold_*).`;

const HOST_PORT = /^(.+):([0-9]{1,5})$/;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bootstrap: { type: 'string', short: 'b' },
      topic: { type: 'string', default: 'tributary.heartbeats' },
      listen: { type: 'string', default: '127.0.0.1:8090' },
      'silent-after-ms': { type: 'string', default: '90000' },
      'lagging-after-s': { type: 'string', default: '300' },
      'backlog-growth-records': { type: 'string', default: String(DEFAULT_THRESHOLDS.backlogGrowthRecords) },
      'backlog-growth-window-s': { type: 'string', default: String(DEFAULT_THRESHOLDS.backlogGrowthWindowSeconds) },
      'clock-skew-s': { type: 'string', default: String(DEFAULT_THRESHOLDS.clockSkewSeconds) },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const invalid = (message: string) => new TributaryError('CLI_OPTION_INVALID', message, {});
  if (!values.bootstrap) throw invalid('--bootstrap is required: the central cluster\'s brokers, HOST:PORT');
  const bootstrap = values.bootstrap.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of bootstrap) if (!HOST_PORT.test(entry)) throw invalid(`--bootstrap: "${entry}" is not HOST:PORT`);
  const listen = HOST_PORT.exec(values.listen);
  if (!listen) throw invalid(`--listen: "${values.listen}" is not HOST:PORT`);
  const silentAfterMs = Number(values['silent-after-ms']);
  const laggingAfterSeconds = Number(values['lagging-after-s']);
  if (!Number.isFinite(silentAfterMs) || silentAfterMs <= 0) throw invalid(`--silent-after-ms: "${values['silent-after-ms']}" is not a positive number`);
  if (!Number.isFinite(laggingAfterSeconds) || laggingAfterSeconds < 0) throw invalid(`--lagging-after-s: "${values['lagging-after-s']}" is not a number of seconds`);
  const positive = (name: 'backlog-growth-records' | 'backlog-growth-window-s' | 'clock-skew-s'): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw invalid(`--${name}: "${values[name]}" is not a positive number`);
    return value;
  };
  const thresholds = { staleAfterSeconds: silentAfterMs / 1000, backlogGrowthRecords: positive('backlog-growth-records'), backlogGrowthWindowSeconds: positive('backlog-growth-window-s'), clockSkewSeconds: positive('clock-skew-s') };
  const logger = createLogger({ name: 'tributary-fleet' });
  return runUntilSignal(logger, async () => {
    const view = await FleetView.start({ bootstrap, topic: values.topic, host: listen[1]!, port: Number(listen[2]), silentAfterMs, laggingAfterSeconds, thresholds, logger });
    logger.info({ event: 'ready', role: 'fleet', bootstrap, topic: values.topic, ports: { http: view.port } }, 'tributary fleet is ready');
    return view;
  });
}
