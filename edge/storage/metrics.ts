// Prometheus metrics of the log store, registered in the Registry the daemon passes in.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface StorageGauges {
  segmentsByTopic(): Map<string, number>;
  diskUsageBytes(): number;
}

export class StorageMetrics {
  readonly appendedRecords: Counter<'topic'>;
  readonly appendedBytes: Counter<'topic'>;
  readonly duplicateBatches: Counter<'topic'>;
  readonly appendErrors: Counter<'topic' | 'code'>;
  readonly flushSeconds: Histogram;
  readonly groupBytes: Histogram;
  readonly evictedSegments: Counter<'topic' | 'reason'>;
  readonly evictedBytes: Counter<'topic' | 'reason'>;
  readonly undeliveredEvictedRecords: Counter<'topic'>;
  readonly recoveryTruncations: Counter<'topic'>;
  readonly recoveryTruncatedBytes: Counter<'topic'>;
  readonly rebuiltIndexes: Counter<'topic'>;
  readonly corruptBatchesRefused: Counter<'topic'>;
  readonly cleanerPasses: Counter<'topic'>;
  readonly cleanerReadBytes: Counter<'topic'>;
  readonly cleanerWrittenBytes: Counter<'topic'>;
  readonly cleanerRemovedRecords: Counter<'topic'>;
  readonly cleanerErrors: Counter<'topic'>;

  constructor(registry: Registry, gauges: StorageGauges) {
    const registers = [registry];
    this.appendedRecords = new Counter({ name: 'tributary_storage_append_records_total', help: 'Records appended to the log (durable under the topic flush policy)', labelNames: ['topic'], registers });
    this.appendedBytes = new Counter({ name: 'tributary_storage_append_bytes_total', help: 'Record batch bytes appended to the log', labelNames: ['topic'], registers });
    this.duplicateBatches = new Counter({ name: 'tributary_storage_duplicate_batches_total', help: 'Retried batches of idempotent producers answered with their original offsets (KIP-98)', labelNames: ['topic'], registers });
    this.appendErrors = new Counter({ name: 'tributary_storage_append_errors_total', help: 'Appends that failed, by error code', labelNames: ['topic', 'code'], registers });
    this.flushSeconds = new Histogram({
      name: 'tributary_storage_flush_duration_seconds',
      help: 'Duration of one fdatasync of a segment file',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.groupBytes = new Histogram({
      name: 'tributary_storage_group_commit_bytes',
      help: 'Bytes written by one group commit (all partitions)',
      buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216],
      registers,
    });
    new Gauge({
      name: 'tributary_storage_segments',
      help: 'Segment files in the log',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const [topic, count] of gauges.segmentsByTopic()) this.set({ topic }, count);
      },
    });
    new Gauge({
      name: 'tributary_storage_disk_usage_bytes',
      help: 'Bytes of segment and index files in the log',
      registers,
      collect() {
        this.set(gauges.diskUsageBytes());
      },
    });
    this.evictedSegments = new Counter({ name: 'tributary_storage_evicted_segments_total', help: 'Segments deleted by retention, by reason (time, size, budget)', labelNames: ['topic', 'reason'], registers });
    this.evictedBytes = new Counter({ name: 'tributary_storage_evicted_bytes_total', help: 'Bytes of segments deleted by retention, by reason', labelNames: ['topic', 'reason'], registers });
    this.undeliveredEvictedRecords = new Counter({ name: 'tributary_storage_undelivered_evicted_records_total', help: 'Records evicted by the disk budget before the mirror delivered them (data loss)', labelNames: ['topic'], registers });
    this.recoveryTruncations = new Counter({ name: 'tributary_storage_recovery_truncations_total', help: 'Torn or corrupt log tails cut off during recovery', labelNames: ['topic'], registers });
    this.recoveryTruncatedBytes = new Counter({ name: 'tributary_storage_recovery_truncated_bytes_total', help: 'Bytes dropped by recovery', labelNames: ['topic'], registers });
    this.rebuiltIndexes = new Counter({ name: 'tributary_storage_rebuilt_indexes_total', help: 'Segment indexes found missing or wrong and rebuilt from the log', labelNames: ['topic'], registers });
    // The cleaner's writes are also in tributary_process_write_bytes_total, and so in the write amplification derived from it.
    this.cleanerPasses = new Counter({ name: 'tributary_storage_cleaner_passes_total', help: 'Compaction passes that swapped in cleaned segments', labelNames: ['topic'], registers });
    this.cleanerReadBytes = new Counter({ name: 'tributary_storage_cleaner_read_bytes_total', help: 'Segment bytes the cleaner read (log cleaned)', labelNames: ['topic'], registers });
    this.cleanerWrittenBytes = new Counter({ name: 'tributary_storage_cleaner_written_bytes_total', help: 'Bytes of compacted segments the cleaner wrote: write amplification it adds, beside tributary_storage_append_bytes_total', labelNames: ['topic'], registers });
    this.cleanerRemovedRecords = new Counter({ name: 'tributary_storage_cleaner_removed_records_total', help: 'Records compaction removed: older values of a key, expired tombstones, records without a key', labelNames: ['topic'], registers });
    this.cleanerErrors = new Counter({ name: 'tributary_storage_cleaner_errors_total', help: 'Compaction passes given up on an error (the partition keeps its segments)', labelNames: ['topic'], registers });
    this.corruptBatchesRefused = new Counter({ name: 'tributary_storage_corrupt_batches_total', help: 'Batches that failed their CRC check when read and were not served', labelNames: ['topic'], registers });
  }
}
