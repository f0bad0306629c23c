// Metrics about the node as a whole, beside those of its parts: which software and which
// configuration it runs (info metrics, value 1, as Prometheus's *_info convention has it),
// the disk budget the log is held to, and the bytes this process has had written to its
// storage device, from which dashboards and the console derive flash write amplification:
//   rate(tributary_process_write_bytes_total) / rate(tributary_storage_append_bytes_total)
import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../../shared/config/schema.ts';
import { configVersion } from '../../shared/config/config-version.ts';
import { SOFTWARE_VERSION } from '../../shared/version.ts';

/** Linux's per-process I/O accounting; absent elsewhere, and then so is the metric. */
const PROCESS_IO_FILE = '/proc/self/io';

export function registerNodeMetrics(registry: Registry, config: Config): void {
  const registers = [registry];
  new Gauge({ name: 'tributary_build_info', help: 'The Tributary version this node runs (value 1)', labelNames: ['version'], registers }).set({ version: SOFTWARE_VERSION }, 1);
  new Gauge({ name: 'tributary_config_info', help: 'The version (a hash) of the configuration this node runs, as heartbeats report it (value 1)', labelNames: ['node', 'config_version'], registers })
    .set({ node: config.node.id, config_version: configVersion(config) }, 1);
  new Gauge({ name: 'tributary_storage_disk_budget_bytes', help: 'storage.diskBudgetBytes: the most the log may hold on disk before the oldest segments are evicted; 0 for no budget', registers })
    .set(config.storage.diskBudgetBytes);
  if (processWriteBytes() === undefined) return;
  let reported = 0;
  new Counter({
    name: 'tributary_process_write_bytes_total',
    help: 'Bytes this process caused to be written to storage devices (Linux /proc/self/io write_bytes): log segments, indexes, checkpoints and SQLite metadata',
    registers,
    collect() {
      const total = processWriteBytes() ?? reported;
      // The kernel's count only grows; a smaller reading would be an accounting glitch, not bytes unwritten.
      if (total > reported) this.inc(total - reported);
      reported = Math.max(reported, total);
    },
  });
}

/** write_bytes of /proc/self/io, or undefined where the file does not exist. */
export function processWriteBytes(): number | undefined {
  try {
    const match = /^write_bytes:\s+(\d+)$/m.exec(readFileSync(PROCESS_IO_FILE, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
