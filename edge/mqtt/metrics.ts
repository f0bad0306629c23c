// Prometheus metrics of the MQTT front end, registered in the registry the daemon passes.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';


export interface MqttCensus {
  connectedClients(): number;
  queuedMessages(): number;
  retainedMessages(): number;
  persistentSessions(): number;
}

/**
 * A count kept as a plain number on the per-message path and handed to its prom-client
 * counter when the metrics are read: an increment is then an addition, not a label lookup.
 */
class FastCount {
  value = 0;
  #reported = 0;

  /** The part not yet added to the prom-client counter. */
  takeDelta(): number {
    const delta = this.value - this.#reported;
    this.#reported = this.value;
    return delta;
  }
}

export class MqttMetrics {
  readonly publishesIn: Counter<'qos'>;
  readonly publishesOut: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly queueOverflows: Counter;
  readonly refusedPublishes: Counter<'reason'>;
  readonly protocolViolations: Counter<'kind'>;
  readonly refusedConnections: Counter<'reason'>;
  readonly refusedSubscriptions: Counter;
  readonly appendLatency: Histogram;
  readonly reversePublished: Counter<'topic'>;
  readonly reverseSkipped: Counter<'reason'>;
  readonly reverseSkippedHeaders: Counter;
  readonly droppedDeliveries: Counter<'reason'>;
  readonly sharedRedeliveries: Counter;
  /** Per-message counts, by QoS for publishes in. */
  readonly publishesInByQos: [FastCount, FastCount, FastCount] = [new FastCount(), new FastCount(), new FastCount()];
  readonly publishesOutCount = new FastCount();
  readonly bytesInCount = new FastCount();
  readonly bytesOutCount = new FastCount();

  constructor(registry: Registry | undefined, census: MqttCensus) {
    const registers = registry === undefined ? [] : [registry];
    const byQos = this.publishesInByQos;
    this.publishesIn = new Counter({
      name: 'tributary_mqtt_publishes_in_total', help: 'PUBLISH packets accepted from MQTT clients, by QoS.', labelNames: ['qos'], registers,
      collect() { byQos.forEach((count, qos) => this.labels(String(qos)).inc(count.takeDelta())); },
    });
    const fast = (name: string, help: string, count: FastCount): Counter => new Counter({ name, help, registers, collect() { this.inc(count.takeDelta()); } });
    this.publishesOut = fast('tributary_mqtt_publishes_out_total', 'PUBLISH packets delivered to MQTT subscribers.', this.publishesOutCount);
    this.bytesIn = fast('tributary_mqtt_payload_bytes_in_total', 'Payload bytes of PUBLISH packets accepted from MQTT clients.', this.bytesInCount);
    this.bytesOut = fast('tributary_mqtt_payload_bytes_out_total', 'Payload bytes of PUBLISH packets delivered to MQTT subscribers.', this.bytesOutCount);
    this.queueOverflows = new Counter({ name: 'tributary_mqtt_queue_overflows_total', help: 'QoS 1/2 messages not queued for a persistent session because its queue was full (mqtt.limits.maxQueuedPerClient); the records stay in the log.', registers });
    this.refusedPublishes = new Counter({ name: 'tributary_mqtt_refused_publishes_total', help: 'PUBLISH packets refused, by reason; a refused QoS 1/2 publish closes the connection and is not acknowledged.', labelNames: ['reason'], registers });
    this.protocolViolations = new Counter({ name: 'tributary_mqtt_protocol_violations_total', help: 'Connections closed for breaking MQTT 3.1.1 or 5.0 or the packet limits, by kind.', labelNames: ['kind'], registers });
    this.refusedConnections = new Counter({ name: 'tributary_mqtt_refused_connections_total', help: 'Connections refused, by reason: with a CONNACK return code, or (tls-handshake) by a failed TLS handshake.', labelNames: ['reason'], registers });
    this.refusedSubscriptions = new Counter({ name: 'tributary_mqtt_refused_subscriptions_total', help: 'Subscriptions refused with SUBACK 0x80 (mqtt.denySubscribe, or outside a user\'s subscribe permissions).', registers });
    this.appendLatency = new Histogram({
      name: 'tributary_mqtt_append_duration_seconds',
      help: 'Time from the first publish of a record batch to the batch being durable in the log.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.reversePublished = new Counter({ name: 'tributary_mqtt_reverse_published_total', help: 'Log records published to MQTT subscribers by reverse routes, by log topic.', labelNames: ['topic'], registers });
    this.reverseSkipped = new Counter({ name: 'tributary_mqtt_reverse_skipped_total', help: 'Log records of reverse-routed topics not published to MQTT, by reason.', labelNames: ['reason'], registers });
    this.reverseSkippedHeaders = new Counter({ name: 'tributary_mqtt_reverse_skipped_headers_total', help: 'Record headers of reverse-routed records not sent as MQTT 5 properties (name or value not UTF-8, or an mqtt.* value out of range).', registers });
    this.droppedDeliveries = new Counter({ name: 'tributary_mqtt_dropped_deliveries_total', help: 'Messages not sent to a subscriber, by reason: expired (Message Expiry Interval) or too-large (over the client\'s Maximum Packet Size).', labelNames: ['reason'], registers });
    this.sharedRedeliveries = new Counter({ name: 'tributary_mqtt_shared_redeliveries_total', help: 'Messages of a shared subscription sent to another member because the member they went to disconnected before receiving them.', registers });
    new Gauge({ name: 'tributary_mqtt_connected_clients', help: 'MQTT clients connected now.', registers, collect() { this.set(census.connectedClients()); } });
    new Gauge({ name: 'tributary_mqtt_queued_messages', help: 'QoS 1/2 messages held for persistent sessions (queued or in flight).', registers, collect() { this.set(census.queuedMessages()); } });
    new Gauge({ name: 'tributary_mqtt_retained_messages', help: 'Retained messages stored.', registers, collect() { this.set(census.retainedMessages()); } });
    new Gauge({ name: 'tributary_mqtt_persistent_sessions', help: 'Persistent sessions (clean session 0) with subscriptions.', registers, collect() { this.set(census.persistentSessions()); } });
  }
}
