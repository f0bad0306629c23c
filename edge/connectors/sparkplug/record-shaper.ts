// The JSON records a Sparkplug B payload becomes at the MQTT ingest, by the route's
// `sparkplug` option:
//   per-payload  one record: {"group","messageType","edgeNode","device"?,"timestamp","seq",
//                "metrics":[{"name","alias"?,"type","value","timestamp"?,…}]}
//   per-metric   one record per metric: {"group","messageType","edgeNode","device"?,"seq",
//                "payloadTimestamp","name","alias"?,"type","value","timestamp"}, the timestamp
//                being the metric's own or else the payload's; a payload without metrics
//                (a DDEATH) still gives one record, without the metric's fields, so that
//                births and deaths are always in the log.
// A metric sent by alias only gets its name and type from its birth (session-tracker.ts);
// one whose birth was not seen keeps name and type null.
import { datatypeName, int64Number, metricValue, propertiesValue } from './metric-values.ts';
import type { Observation } from './session-tracker.ts';
import type { RawMetric, RawPayload } from './sparkplug-proto.ts';
import type { SparkplugTopic } from './sparkplug-topic.ts';

export type SparkplugRecords = 'per-payload' | 'per-metric';

export interface MetricJson {
  name: string | null;
  alias?: number | string;
  type: string | null;
  value: unknown;
  timestamp?: number | string;
  historical?: true;
  transient?: true;
  properties?: Record<string, unknown>;
}

export function metricJson(metric: RawMetric, definition: { name: string; datatype: number | undefined } | undefined): MetricJson {
  const type = datatypeName(definition?.datatype ?? metric.datatype);
  const json: MetricJson = { name: definition?.name ?? metric.name ?? null, type: type ?? null, value: metricValue(metric, type) };
  if (metric.alias !== undefined) json.alias = int64Number(metric.alias);
  if (metric.timestamp !== undefined) json.timestamp = int64Number(metric.timestamp);
  if (metric.isHistorical) json.historical = true;
  if (metric.isTransient) json.transient = true;
  const properties = propertiesValue(metric.properties);
  if (properties !== undefined) json.properties = properties;
  return json;
}

export function shapeRecords(topic: Extract<SparkplugTopic, { kind: 'edge' }>, payload: RawPayload, observation: Observation, records: SparkplugRecords): unknown[] {
  const envelope: Record<string, unknown> = { group: topic.group, messageType: topic.messageType, edgeNode: topic.edgeNode };
  if (topic.device !== undefined) envelope.device = topic.device;
  const timestamp = int64Number(payload.timestamp);
  const seq = int64Number(payload.seq);
  const metrics = (payload.metrics ?? []).map((metric, index) => metricJson(metric, observation.definitions[index]));
  const extras: Record<string, unknown> = {};
  if (payload.uuid !== undefined) extras.uuid = payload.uuid;
  if (payload.body !== undefined) extras.body = { base64: Buffer.from(payload.body).toString('base64') };
  if (records === 'per-payload') return [{ ...envelope, timestamp: timestamp ?? null, seq: seq ?? null, ...extras, metrics }];
  const common = { ...envelope, seq: seq ?? null, payloadTimestamp: timestamp ?? null, ...extras };
  if (metrics.length === 0) return [common];
  return metrics.map((metric) => ({ ...common, ...metric, timestamp: metric.timestamp ?? timestamp ?? null }));
}
