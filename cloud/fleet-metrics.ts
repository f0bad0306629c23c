// The fleet view's Prometheus metrics (GET /metrics on its HTTP port): every edge's newest
// heartbeat as gauges labelled by edge, its alerts, and the alert thresholds themselves, so
// that rules in deploy/prometheus/ fire on the same conditions as the page shows. Gauges are
// computed when scraped, from the edges the view holds (at most FLEET_EDGES_MAX).
import { Gauge, Registry } from 'prom-client';
import { ALERTS, type AlertThresholds } from './fleet-alerts.ts';
import type { EdgeSummary } from './fleet.ts';

export function fleetRegistry(edges: () => EdgeSummary[], thresholds: AlertThresholds, now: () => number = Date.now): Registry {
  const registry = new Registry();
  const registers = [registry];
  const perEdge = (name: string, help: string, value: (edge: EdgeSummary) => number | null): void => {
    new Gauge({
      name, help, labelNames: ['edge'], registers,
      collect() {
        this.reset();
        for (const edge of edges()) {
          const measured = value(edge);
          if (measured !== null) this.set({ edge: edge.edge }, measured);
        }
      },
    });
  };
  new Gauge({ name: 'tributary_fleet_edges', help: 'Edges the fleet view has heard from', registers, collect() { this.set(edges().length); } });
  perEdge('tributary_fleet_edge_last_contact_timestamp_seconds', 'When the edge sent its newest heartbeat, by its own clock', (edge) => edge.sentAtMs / 1000);
  perEdge('tributary_fleet_edge_heartbeat_age_seconds', 'Seconds since the edge sent its newest heartbeat, by its own clock', (edge) => Math.max(0, (now() - edge.sentAtMs) / 1000));
  perEdge('tributary_fleet_edge_backlog_records', 'Records the edge has not yet delivered to the central cluster', (edge) => edge.lagRecords);
  perEdge('tributary_fleet_edge_backlog_bytes', 'Bytes the edge has not yet delivered', (edge) => edge.lagBytes);
  perEdge('tributary_fleet_edge_backlog_seconds', 'Age of the oldest record the edge has not yet delivered', (edge) => edge.lagSeconds);
  perEdge('tributary_fleet_edge_backlog_growth_records', 'How much the edge\'s backlog grew over the backlog-growth window', (edge) => edge.backlogGrowthRecords);
  perEdge('tributary_fleet_edge_throughput_bytes_per_second', 'Bytes per second the edge sent over its last heartbeat interval', (edge) => edge.throughputBytesPerSecond);
  perEdge('tributary_fleet_edge_evicted_records', 'Records the edge reports evicted before delivery (data lost), since its mirror started', (edge) => edge.evictedUndeliveredRecords);
  perEdge('tributary_fleet_edge_clock_skew_seconds', 'Read time minus send time of the edge\'s newest heartbeat read as it arrived; positive when its clock is behind', (edge) => edge.clockSkewSeconds);
  perEdge('tributary_fleet_edge_link_up', '1 when the edge reports its link to the central cluster up', (edge) => (edge.linkState === 'up' ? 1 : 0));
  new Gauge({
    name: 'tributary_fleet_edge_alert', help: 'Alerts of the fleet view: 1 while the alert holds for the edge', labelNames: ['edge', 'alert'], registers,
    collect() {
      this.reset();
      for (const edge of edges()) for (const alert of ALERTS) this.set({ edge: edge.edge, alert }, edge.alerts.includes(alert) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tributary_fleet_edge_info', help: 'The software and configuration versions an edge reports (value 1)', labelNames: ['edge', 'software_version', 'config_version'], registers,
    collect() {
      this.reset();
      for (const edge of edges()) this.set({ edge: edge.edge, software_version: edge.softwareVersion ?? 'unknown', config_version: edge.configVersion ?? 'unknown' }, 1);
    },
  });
  const seconds = new Gauge({ name: 'tributary_fleet_alert_threshold_seconds', help: 'Thresholds of the fleet view\'s alerts in seconds: stale, clock-skew, and the backlog-growing window', labelNames: ['alert'], registers });
  seconds.set({ alert: 'stale' }, thresholds.staleAfterSeconds);
  seconds.set({ alert: 'clock-skew' }, thresholds.clockSkewSeconds);
  seconds.set({ alert: 'backlog-growing' }, thresholds.backlogGrowthWindowSeconds);
  new Gauge({ name: 'tributary_fleet_alert_threshold_records', help: 'Thresholds of the fleet view\'s alerts in records: backlog growth over its window', labelNames: ['alert'], registers }).set({ alert: 'backlog-growing' }, thresholds.backlogGrowthRecords);
  return registry;
}
