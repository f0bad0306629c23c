// Reads the daemon's own Prometheus metrics in process, so that the console shows the very
// numbers /metrics exports (one definition each, in the part that counts it) instead of
// counting them again.
import type { Registry } from 'prom-client';

type Sample = { labels: Record<string, string | number | undefined>; value: number };

/** The samples of a counter or gauge whose labels include `labels`; null when the metric is not registered. */
async function matchingSamples(registry: Registry, name: string, labels: Record<string, string>): Promise<Sample[] | null> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return null;
  const { values } = await metric.get();
  return (values as Sample[]).filter((sample) => Object.entries(labels).every(([label, value]) => String(sample.labels[label]) === value));
}

/** The sum of a counter's or gauge's samples whose labels include `labels`; null when the metric is not registered. */
export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  const samples = await matchingSamples(registry, name, labels);
  return samples === null ? null : samples.reduce((sum, sample) => sum + sample.value, 0);
}

/** The same sums, one per value of `label` (for every pipeline at once, say); null when the metric is not registered. */
export async function metricSumsBy(registry: Registry, name: string, label: string, labels: Record<string, string> = {}): Promise<Map<string, number> | null> {
  const samples = await matchingSamples(registry, name, labels);
  if (samples === null) return null;
  const sums = new Map<string, number>();
  for (const sample of samples) {
    const key = String(sample.labels[label]);
    sums.set(key, (sums.get(key) ?? 0) + sample.value);
  }
  return sums;
}
