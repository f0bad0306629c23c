// What the edge's storage metrics say about one phase of bench:kafka: the batch bytes it
// appended to the phase's topic, and its fdatasyncs (count, total time, and how their times
// were spread), as the difference of two readings of its Prometheus metrics. They tell
// whether an acknowledgement waited for the disk.

export interface StorageCounters {
  bytes: number;
  syncs: number;
  syncSeconds: number;
  /** fdatasyncs that took at most each histogram bound (seconds), cumulative as Prometheus keeps them. */
  syncsWithin: Map<number, number>;
}

const SYNC_HISTOGRAM = 'tributary_storage_flush_duration_seconds';

function sample(text: string, name: string, labels: string = ''): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels} `)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Counters from one reading of the edge's metrics text. */
export function readStorageCounters(text: string, topic: string): StorageCounters {
  const syncsWithin = new Map<number, number>();
  for (const match of text.matchAll(new RegExp(`^${SYNC_HISTOGRAM}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    if (match[1] !== '+Inf') syncsWithin.set(Number(match[1]), Number(match[2]));
  }
  return {
    bytes: sample(text, 'tributary_storage_append_bytes_total', `{topic="${topic}"}`),
    syncs: sample(text, `${SYNC_HISTOGRAM}_count`),
    syncSeconds: sample(text, `${SYNC_HISTOGRAM}_sum`),
    syncsWithin,
  };
}

export function subtract(after: StorageCounters, before: StorageCounters): StorageCounters {
  return {
    bytes: after.bytes - before.bytes,
    syncs: after.syncs - before.syncs,
    syncSeconds: after.syncSeconds - before.syncSeconds,
    syncsWithin: new Map([...after.syncsWithin].map(([bound, count]) => [bound, count - (before.syncsWithin.get(bound) ?? 0)])),
  };
}

export function meanSyncMs(counters: StorageCounters): number {
  return counters.syncs === 0 ? Number.NaN : (counters.syncSeconds / counters.syncs) * 1000;
}

/** The histogram bound, in ms, under which `fraction` of the fdatasyncs finished (an upper bound of that percentile); Infinity past the last bound. */
export function syncPercentileBoundMs(counters: StorageCounters, fraction: number): number {
  if (counters.syncs === 0) return Number.NaN;
  for (const [bound, count] of [...counters.syncsWithin].sort((a, b) => a[0] - b[0])) {
    if (count >= counters.syncs * fraction) return bound * 1000;
  }
  return Number.POSITIVE_INFINITY;
}
