// One sample of the edge daemon during a soak: what the kernel says about the process
// (resident memory, open file descriptors, CPU time, from /proc) and what the daemon says
// about itself on /metrics (V8 heap, event-loop delay, log size against its budget, MQTT
// clients, records appended, the mirror's backlog), and the bytes its data directory takes
// on disk.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, memoryKiB } from '../../bench/process-stats.ts';
import { metricValue } from '../../test/helpers/daemon.ts';

export interface Sample {
  /** Seconds since the soak's load started. */
  elapsedSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  openFileDescriptors: number;
  /** Event-loop delay over the interval since the previous scrape (prom-client resets it on every read). */
  eventLoopDelayP99Seconds: number;
  eventLoopDelayMaxSeconds: number;
  cpuSeconds: number;
  /** The log's segments and indexes, as the daemon counts them. */
  logBytes: number;
  /** Everything under the data directory (log, metadata databases), as the file system allocates it. */
  dataDirectoryBytes: number;
  mqttClients: number;
  appendedRecords: number;
  mirrorBacklogRecords: number;
}

/** Sums a labelled metric over all its series (e.g. the mirror's backlog over every partition). */
export function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match !== null && match[1] === name) total += Number(match[3]);
  }
  return total;
}

/** Bytes allocated on disk to the files under `directory` (st_blocks, as du counts them). */
export function allocatedBytes(directory: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    // Removed meanwhile (a deleted partition): it takes nothing now.
    return 0;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      total += allocatedBytes(path);
      continue;
    }
    try {
      total += statSync(path).blocks * 512;
    } catch {
      // Removed between the listing and the stat (a rolled index, a deleted segment).
    }
  }
  return total;
}

function openFileDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export async function takeSample(pid: number, adminPort: number, dataDirectory: string, elapsedSeconds: number): Promise<Sample> {
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const value = (name: string): number => metricValue(metrics, name) ?? Number.NaN;
  return {
    elapsedSeconds,
    rssBytes: memoryKiB(pid, 'VmRSS') * 1024,
    heapUsedBytes: value('tributary_nodejs_heap_size_used_bytes'),
    openFileDescriptors: openFileDescriptors(pid),
    eventLoopDelayP99Seconds: value('tributary_nodejs_eventloop_lag_p99_seconds'),
    eventLoopDelayMaxSeconds: value('tributary_nodejs_eventloop_lag_max_seconds'),
    cpuSeconds: cpuSeconds(pid),
    logBytes: value('tributary_storage_disk_usage_bytes'),
    dataDirectoryBytes: allocatedBytes(dataDirectory),
    mqttClients: value('tributary_mqtt_connected_clients'),
    appendedRecords: value('tributary_storage_append_records_total'),
    mirrorBacklogRecords: metricSum(metrics, 'tributary_mirror_lag_records'),
  };
}
