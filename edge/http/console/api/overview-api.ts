// GET /api/overview: the node at a glance. Health; records per second in and out by
// protocol; disk use against the budget and the retention defaults; the mirror's backlog
// and link (its own report, the numbers `tributary mirror status` and the metrics give);
// flash write amplification; connected MQTT clients and how that number moved.
// GET /api/history: the last hour of the same, for the charts.
import { statfs } from 'node:fs/promises';
import { metricSum } from '../metric-reader.ts';
import { COUNTER_SERIES, GAUGE_SERIES, type CounterName, type GaugeName } from '../metric-history.ts';
import type { ApiHandler, ConsoleContext } from './api-request.ts';

/** Write amplification is measured over the last 5 minutes: long enough to span many group commits and SQLite checkpoints. */
const WRITE_AMPLIFICATION_WINDOW_MS = 5 * 60_000;
/** The connected-clients trend compares with 15 minutes ago: long enough to see a fleet reconnect or drift away. */
const CONNECTED_TREND_WINDOW_MS = 15 * 60_000;

export const overviewApi: ApiHandler = (context) => overview(context);

export async function overview(context: ConsoleContext): Promise<Record<string, unknown>> {
  const { providers, history, registry } = context;
  const health = providers.node.health();
  const samples = history.samples();
  const last = samples.length - 1;
  const rate = (name: CounterName): number | null => history.rate(name, last);
  const spanOf = (windowMs: number): number => Math.max(1, Math.min(last, Math.round(windowMs / history.intervalMs)));

  const waSpan = spanOf(WRITE_AMPLIFICATION_WINDOW_MS);
  const deviceBytesPerSecond = history.rate('deviceWriteBytes', last, waSpan);
  const appendBytesPerSecond = history.rate('appendBytes', last, waSpan);

  const connectedSpan = spanOf(CONNECTED_TREND_WINDOW_MS);
  const connectedNow = await metricSum(registry, GAUGE_SERIES.mqttConnected.metric);
  const connectedBefore = samples[last - connectedSpan]?.gauges.mqttConnected ?? null;

  let disk: { freeBytes: number; totalBytes: number } | null = null;
  try {
    const stats = await statfs(providers.node.dataDir);
    disk = { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    // A file system that cannot say: the overview shows the log's own use only.
  }
  const report = providers.mirror?.report();
  return {
    generatedAtMs: Date.now(),
    node: health,
    throughput: {
      intervalMs: history.intervalMs,
      in: { mqtt: rate('mqttIn'), kafka: rate('kafkaIn'), mirror: rate('mirrorIn') },
      out: { mqtt: rate('mqttOut'), kafka: rate('kafkaOut'), mirror: rate('mirrorOut') },
    },
    disk: {
      usedBytes: await metricSum(registry, GAUGE_SERIES.diskUsageBytes.metric),
      budgetBytes: await metricSum(registry, 'tributary_storage_disk_budget_bytes'),
      fileSystemFreeBytes: disk?.freeBytes ?? null,
      fileSystemBytes: disk?.totalBytes ?? null,
      retentionMs: providers.node.topicDefaults.retentionMs ?? null,
      retentionBytes: providers.node.topicDefaults.retentionBytes ?? null,
      evictedUndeliveredRecords: await metricSum(registry, 'tributary_storage_undelivered_evicted_records_total'),
    },
    writeAmplification: {
      windowSeconds: Math.round((waSpan * history.intervalMs) / 1000),
      ratio: deviceBytesPerSecond !== null && appendBytesPerSecond !== null && appendBytesPerSecond > 0 ? deviceBytesPerSecond / appendBytesPerSecond : null,
      deviceBytesPerSecond,
      appendBytesPerSecond,
    },
    mqtt: {
      configured: providers.mqttClients !== undefined,
      connected: connectedNow,
      persistentSessions: await metricSum(registry, 'tributary_mqtt_persistent_sessions'),
      trend: { windowSeconds: Math.round((connectedSpan * history.intervalMs) / 1000), change: connectedNow !== null && connectedBefore !== null ? connectedNow - connectedBefore : null },
    },
    mirror: providers.mirror === undefined ? { configured: false, reason: 'no mirror is configured (mirror.target.bootstrap is empty)' }
      : report === undefined ? { configured: false, reason: 'the mirror does not run in this process (mirror.embedded is false, or it has not started)' }
      : report,
  };
}

export const historyApi: ApiHandler = ({ history }) => {
  const samples = history.samples();
  const rates = {} as Record<CounterName, (number | null)[]>;
  for (const name of Object.keys(COUNTER_SERIES) as CounterName[]) rates[name] = samples.map((_, index) => history.rate(name, index));
  const gauges = {} as Record<GaugeName, (number | null)[]>;
  for (const name of [...Object.keys(GAUGE_SERIES), 'backlogRecords', 'backlogBytes', 'backlogSeconds', 'linkUp'] as GaugeName[]) gauges[name] = samples.map((sample) => sample.gauges[name]);
  return { intervalMs: history.intervalMs, atMs: samples.map((sample) => sample.atMs), rates, gauges };
};
