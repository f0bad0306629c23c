// Sparkplug B at the MQTT ingest: an MQTT route with `sparkplug: per-payload | per-metric`
// hands each publish's payload here, and appends the JSON records that come back instead of
// the protobuf bytes (record-shaper.ts), after the birth and death of its edge node and
// device have been tracked (session-tracker.ts). Anything that is not a Sparkplug B
// payload (a STATE message, a topic outside spBv1.0, bytes that do not decode) is
// appended as it came, and the last of these is counted and logged: nothing published is
// lost to decoding.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../../shared/logger.ts';
import { int64Number } from './metric-values.ts';
import { shapeRecords, metricJson, type SparkplugRecords } from './record-shaper.ts';
import { SparkplugSessions } from './session-tracker.ts';
import { decodeRawPayload } from './sparkplug-proto.ts';
import { parseSparkplugTopic } from './sparkplug-topic.ts';

export type { SparkplugRecords } from './record-shaper.ts';
export { SparkplugSessions } from './session-tracker.ts';

/** Metrics of one payload made into records of their own; a larger payload becomes one record (logged) instead. */
export const METRIC_RECORDS_PER_PAYLOAD_MAX = 10_000;
/** Undecodable payloads are logged at most once per this many, so a misconfigured device cannot flood the log. */
const INVALID_PAYLOAD_LOG_EVERY = 1000;

export class SparkplugIngest {
  readonly sessions = new SparkplugSessions();
  readonly #logger: Logger;
  readonly #messages: Counter<'type'>;
  readonly #invalid: Counter;
  readonly #gaps: Counter;
  readonly #staleDeaths: Counter;
  readonly #unnamed: Counter;
  #invalidCount = 0;

  constructor(registry: Registry | undefined, logger: Logger) {
    this.#logger = logger;
    const registers = registry === undefined ? [] : [registry];
    const sessions = this.sessions;
    this.#messages = new Counter({ name: 'tributary_sparkplug_messages_total', help: 'Sparkplug B payloads decoded at the MQTT ingest, by message type.', labelNames: ['type'], registers });
    this.#invalid = new Counter({ name: 'tributary_sparkplug_invalid_payloads_total', help: 'Publishes on spBv1.0 topics of a Sparkplug route whose payload did not decode; stored as they came.', registers });
    this.#gaps = new Counter({ name: 'tributary_sparkplug_sequence_gaps_total', help: 'Sparkplug messages whose seq was not one more than the last of their edge node.', registers });
    this.#staleDeaths = new Counter({ name: 'tributary_sparkplug_stale_deaths_total', help: 'NDEATH messages whose bdSeq did not match the edge node\'s birth (a late will of an older connection): stored, state unchanged.', registers });
    this.#unnamed = new Counter({ name: 'tributary_sparkplug_unnamed_metrics_total', help: 'Metrics sent by alias whose birth was not seen (or was for another connection): stored with name and type null.', registers });
    new Gauge({
      name: 'tributary_sparkplug_edge_nodes', help: 'Sparkplug edge nodes known from their births, by state.', labelNames: ['state'], registers,
      collect() { const census = sessions.census(); this.set({ state: 'online' }, census.edgeNodesOnline); this.set({ state: 'offline' }, census.edgeNodesOffline); },
    });
    new Gauge({
      name: 'tributary_sparkplug_devices', help: 'Sparkplug devices known from their births, by state.', labelNames: ['state'], registers,
      collect() { const census = sessions.census(); this.set({ state: 'online' }, census.devicesOnline); this.set({ state: 'offline' }, census.devicesOffline); },
    });
  }

  /** The record values a publish on `mqttTopic` becomes: JSON records, or the payload itself when it is not Sparkplug B. */
  shape(mqttTopic: string, payload: Buffer, records: SparkplugRecords): Buffer[] {
    const topic = parseSparkplugTopic(mqttTopic);
    if (topic === undefined || topic.kind === 'state') return [payload];
    let decoded;
    try {
      decoded = decodeRawPayload(payload);
    } catch (error) {
      this.#invalid.inc();
      if (this.#invalidCount++ % INVALID_PAYLOAD_LOG_EVERY === 0) this.#logger.warn({ mqttTopic, bytes: payload.length, err: error, invalidSoFar: this.#invalidCount }, 'a payload on a Sparkplug B topic is not a Sparkplug B payload; stored as it came');
      return [payload];
    }
    this.#messages.inc({ type: topic.messageType });
    const observation = this.sessions.observe(topic, decoded);
    if (observation.sequenceGap) this.#gaps.inc();
    if (observation.staleDeath) this.#staleDeaths.inc();
    const unnamed = observation.definitions.filter((definition) => definition === undefined).length;
    if (unnamed > 0) this.#unnamed.inc(unnamed);
    let mode = records;
    if (mode === 'per-metric' && (decoded.metrics?.length ?? 0) > METRIC_RECORDS_PER_PAYLOAD_MAX) {
      this.#logger.warn({ mqttTopic, metrics: decoded.metrics!.length, limit: METRIC_RECORDS_PER_PAYLOAD_MAX }, 'a Sparkplug payload with more metrics than the per-metric limit is stored as one record');
      mode = 'per-payload';
    }
    return shapeRecords(topic, decoded, observation, mode).map((value) => Buffer.from(JSON.stringify(value), 'utf8'));
  }
}

/**
 * A record's payload as the console's message browser shows it, for records whose MQTT
 * topic is under spBv1.0: the protobuf payload decoded (names and types as the payload
 * itself gives them), or the JSON a Sparkplug route stored. JSON cannot be mistaken for a
 * Sparkplug payload: "{" and "[" would open protobuf groups, which Sparkplug does not use.
 */
export function sparkplugPayloadForDisplay(payload: Uint8Array): unknown {
  if (payload[0] === 0x7b || payload[0] === 0x5b) {
    try {
      return JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch { /* not JSON after all: decoded as protobuf below */ }
  }
  try {
    const decoded = decodeRawPayload(payload);
    return { timestamp: int64Number(decoded.timestamp) ?? null, seq: int64Number(decoded.seq) ?? null, metrics: (decoded.metrics ?? []).map((metric) => metricJson(metric, undefined)) };
  } catch (error) {
    return { error: `not a Sparkplug B payload: ${(error as Error).message}` };
  }
}
