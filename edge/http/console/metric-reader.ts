// Reads the daemon's own Prometheus metrics in process, so that the console shows the very
// numbers /metrics exports (one definition each, in the part that counts it) instead of
// counting them again.
import type { Registry } from 'prom-client';

/** The sum of a counter's or gauge's samples whose labels include `labels`; null when the metric is not registered. */
export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return null;
  const { values } = await metric.get();
  let sum = 0;
  for (const sample of values) {
    if (Object.entries(labels).every(([label, value]) => String(sample.labels[label]) === value)) sum += sample.value;
  }
  return sum;
}
