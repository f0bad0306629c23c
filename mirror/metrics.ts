// The mirror's Prometheus metrics, registered in the daemon's registry (or the standalone
// mirror's own). Lag is per mirrored partition; the link's state is one gauge per state
// name, 1 for the current one, so that a dashboard can graph time spent down.
import { Counter, Gauge, type Registry } from 'prom-client';
import { LINK_STATES, type LinkStateName } from '../shared/heartbeat.ts';

export class MirrorMetrics {
  readonly lagRecords: Gauge<'topic' | 'partition' | 'direction'>;
  readonly lagBytes: Gauge<'topic' | 'partition' | 'direction'>;
  readonly lagSeconds: Gauge<'topic' | 'partition' | 'direction'>;
  readonly linkState: Gauge<'state'>;
  readonly bytesSent: Counter;
  readonly sourceBytesDelivered: Counter<'direction'>;
  readonly recordsDelivered: Counter<'topic' | 'direction'>;
  readonly recordsLost: Counter<'topic'>;
  readonly errors: Counter<'kind'>;
  readonly lastError: Gauge<'message'>;
  readonly reconnects: Counter;
  readonly tailScans: Counter<'direction'>;
  readonly heartbeats: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const partitionLabels = ['topic', 'partition', 'direction'] as const;
    this.lagRecords = new Gauge({ name: 'tributary_mirror_lag_records', help: 'Records in the source partition not yet delivered to the other side', labelNames: partitionLabels, registers });
    this.lagBytes = new Gauge({ name: 'tributary_mirror_lag_bytes', help: 'Estimated source bytes not yet delivered (lag records times the mean record size seen)', labelNames: partitionLabels, registers });
    this.lagSeconds = new Gauge({ name: 'tributary_mirror_lag_seconds', help: 'Age of the oldest record not yet delivered; 0 when caught up', labelNames: partitionLabels, registers });
    this.linkState = new Gauge({ name: 'tributary_mirror_link_state', help: 'State of the link to the central cluster: 1 for the current state', labelNames: ['state'], registers });
    this.bytesSent = new Counter({ name: 'tributary_mirror_bytes_sent_total', help: 'Bytes of record batches sent to the central cluster (compressed, as on the link)', registers });
    this.sourceBytesDelivered = new Counter({ name: 'tributary_mirror_source_bytes_delivered_total', help: 'Bytes of source record batches delivered (before recompression)', labelNames: ['direction'], registers });
    this.recordsDelivered = new Counter({ name: 'tributary_mirror_records_delivered_total', help: 'Records delivered, each exactly once', labelNames: ['topic', 'direction'], registers });
    this.recordsLost = new Counter({ name: 'tributary_mirror_records_lost_total', help: 'Records the edge log no longer held when the mirror reached them (evicted before delivery): data loss', labelNames: ['topic'], registers });
    this.errors = new Counter({ name: 'tributary_mirror_errors_total', help: 'Errors met by the mirror, by kind (link, refused, source)', labelNames: ['kind'], registers });
    this.lastError = new Gauge({ name: 'tributary_mirror_last_error_timestamp_seconds', help: 'When the last error happened, labelled with its message', labelNames: ['message'], registers });
    this.reconnects = new Counter({ name: 'tributary_mirror_reconnects_total', help: 'Times the link came back after being down', registers });
    this.tailScans = new Counter({ name: 'tributary_mirror_tail_scans_total', help: 'Tail scans: each (re)start of a partition reads the target tail to learn what was delivered', labelNames: ['direction'], registers });
    this.heartbeats = new Counter({ name: 'tributary_mirror_heartbeats_total', help: 'Heartbeat records sent to the central cluster', registers });
    this.setLinkState('connecting');
  }

  setLinkState(state: LinkStateName): void {
    for (const name of LINK_STATES) this.linkState.set({ state: name }, name === state ? 1 : 0);
  }

  setLastError(message: string, atMs: number): void {
    // One series only: the label holds the newest message, so the label set stays bounded.
    this.lastError.reset();
    this.lastError.set({ message: message.slice(0, 200) }, atMs / 1000);
  }
}
