// Prometheus metrics of the connectors, one set for all of them, labelled by connector
// name and type, so that a dashboard shows every connector of a device side by side:
//   tributary_connector_state{connector,type,state}        1 for the current state, 0 for the others
//   tributary_connector_records_total{connector,type}      records appended (sources) or delivered (sinks)
//   tributary_connector_errors_total{connector,type,kind}  failures, by kind (connect, read, append, rejected, …)
//   tributary_connector_reconnects_total{connector,type}   sessions started again after a failure
//   tributary_connector_lag_records{connector,type}        sinks: records in the topic not yet delivered
//   tributary_connector_last_record_timestamp_seconds{connector,type}  when a record last went through
import { Counter, Gauge, type Registry } from 'prom-client';

export const CONNECTOR_STATES = ['starting', 'connecting', 'running', 'retrying', 'stopped'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

/** What one connector reports; the runtime and the connector's own code share it. */
export interface ConnectorMeter {
  records(count: number): void;
  error(kind: string): void;
  reconnect(): void;
  state(state: ConnectorState): void;
  /** Sinks: how many records of the topic are not delivered yet, read when metrics are collected. */
  lag(read: () => number): void;
}

export class ConnectorMetrics {
  readonly #state: Gauge<'connector' | 'type' | 'state'>;
  readonly #records: Counter<'connector' | 'type'>;
  readonly #errors: Counter<'connector' | 'type' | 'kind'>;
  readonly #reconnects: Counter<'connector' | 'type'>;
  readonly #lastRecord: Gauge<'connector' | 'type'>;
  readonly #lagReaders = new Map<string, { type: string; read: () => number }>();

  constructor(registry: Registry | undefined) {
    const registers = registry === undefined ? [] : [registry];
    const lagReaders = this.#lagReaders;
    this.#state = new Gauge({ name: 'tributary_connector_state', help: 'Current state of each connector: 1 for the state it is in, 0 for the others.', labelNames: ['connector', 'type', 'state'], registers });
    this.#records = new Counter({ name: 'tributary_connector_records_total', help: 'Records a source appended to its topic, or a sink delivered to its peer.', labelNames: ['connector', 'type'], registers });
    this.#errors = new Counter({ name: 'tributary_connector_errors_total', help: 'Connector failures by kind (connect, read, decode, append, deliver, rejected, records-lost, …).', labelNames: ['connector', 'type', 'kind'], registers });
    this.#reconnects = new Counter({ name: 'tributary_connector_reconnects_total', help: 'Sessions with the peer started again after a failure.', labelNames: ['connector', 'type'], registers });
    this.#lastRecord = new Gauge({ name: 'tributary_connector_last_record_timestamp_seconds', help: 'When the connector last appended or delivered a record (Unix time).', labelNames: ['connector', 'type'], registers });
    new Gauge({
      name: 'tributary_connector_lag_records',
      help: 'Sinks: records of the topic not yet delivered (high watermark minus position, summed over partitions).',
      labelNames: ['connector', 'type'],
      registers,
      collect() {
        this.reset();
        for (const [connector, { type, read }] of lagReaders) this.set({ connector, type }, read());
      },
    });
  }

  forConnector(connector: string, type: string): ConnectorMeter {
    const labels = { connector, type };
    // Every counter shows from the start, at 0, so that a rate over it is defined before the first event.
    this.#records.inc(labels, 0);
    this.#reconnects.inc(labels, 0);
    const setState = (current: ConnectorState): void => {
      for (const state of CONNECTOR_STATES) this.#state.set({ ...labels, state }, state === current ? 1 : 0);
    };
    setState('starting');
    return {
      records: (count) => {
        this.#records.inc(labels, count);
        this.#lastRecord.set(labels, Date.now() / 1000);
      },
      error: (kind) => this.#errors.inc({ ...labels, kind }),
      reconnect: () => this.#reconnects.inc(labels),
      state: setState,
      lag: (read) => { this.#lagReaders.set(connector, { type, read }); },
    };
  }
}
