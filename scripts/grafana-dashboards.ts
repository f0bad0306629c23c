// Writes deploy/grafana/*.json, Grafana dashboards of one edge and of the fleet, from the
// panel lists below (npm run docs:grafana). The JSON is generated, so that every panel has
// the same shape and the metric names are in one readable place; the test in
// test/deploy/grafana-dashboards.test.ts checks each name against a running /metrics.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Panel { title: string; unit: string; targets: { expr: string; legend: string }[]; kind?: 'timeseries' | 'stat' | 'table'; width?: number; description?: string }

const EDGE: Panel[] = [
  { title: 'Records in per second', unit: 'ops', description: 'Records appended, by protocol', targets: [
    { expr: 'sum by (instance) (rate(tributary_mqtt_publishes_in_total[$__rate_interval]))', legend: 'MQTT {{instance}}' },
    { expr: 'sum by (instance) (rate(tributary_kafka_produced_records_total[$__rate_interval]))', legend: 'Kafka {{instance}}' },
    { expr: 'sum by (instance) (rate(tributary_mirror_records_delivered_total{direction="reverse"}[$__rate_interval]))', legend: 'from the central {{instance}}' }] },
  { title: 'Records out per second', unit: 'ops', description: 'Records delivered, by protocol', targets: [
    { expr: 'sum by (instance) (rate(tributary_mqtt_publishes_out_total[$__rate_interval]))', legend: 'MQTT {{instance}}' },
    { expr: 'sum by (instance) (rate(tributary_kafka_fetched_records_total[$__rate_interval]))', legend: 'Kafka {{instance}}' },
    { expr: 'sum by (instance) (rate(tributary_mirror_records_delivered_total{direction="forward"}[$__rate_interval]))', legend: 'mirrored {{instance}}' }] },
  { title: 'Mirror backlog, records', unit: 'short', targets: [{ expr: 'sum by (instance) (tributary_mirror_lag_records{direction="forward"})', legend: '{{instance}}' }] },
  { title: 'Mirror backlog, bytes', unit: 'bytes', targets: [{ expr: 'sum by (instance) (tributary_mirror_lag_bytes{direction="forward"})', legend: '{{instance}}' }] },
  { title: 'Mirror backlog, seconds behind', unit: 's', targets: [{ expr: 'max by (instance) (tributary_mirror_lag_seconds{direction="forward"})', legend: '{{instance}}' }] },
  { title: 'Mirror link', unit: 'short', description: '1 for the current state', targets: [{ expr: 'max by (instance, state) (tributary_mirror_link_state)', legend: '{{instance}} {{state}}' }] },
  { title: 'Records lost before delivery', unit: 'short', targets: [
    { expr: 'sum by (instance) (increase(tributary_mirror_records_lost_total[$__range]))', legend: 'mirror {{instance}}' },
    { expr: 'sum by (instance) (increase(tributary_storage_undelivered_evicted_records_total[$__range]))', legend: 'evicted {{instance}}' }], kind: 'stat' },
  { title: 'Disk use against budget', unit: 'bytes', targets: [
    { expr: 'tributary_storage_disk_usage_bytes', legend: 'used {{instance}}' },
    { expr: 'tributary_storage_disk_budget_bytes > 0', legend: 'budget {{instance}}' }] },
  { title: 'Flash write amplification', unit: 'none', description: 'Bytes written to the device per byte of records appended', targets: [
    { expr: 'rate(tributary_process_write_bytes_total[5m]) / rate(tributary_storage_append_bytes_total[5m])', legend: '{{instance}}' }] },
  { title: 'Connected MQTT clients', unit: 'short', targets: [
    { expr: 'tributary_mqtt_connected_clients', legend: 'connected {{instance}}' },
    { expr: 'tributary_mqtt_persistent_sessions', legend: 'persistent sessions {{instance}}' }] },
  { title: 'Consumer group members', unit: 'short', targets: [{ expr: 'tributary_group_members', legend: '{{instance}}' }] },
  { title: 'fdatasync duration, p99', unit: 's', targets: [{ expr: 'histogram_quantile(0.99, sum by (instance, le) (rate(tributary_storage_flush_duration_seconds_bucket[$__rate_interval])))', legend: '{{instance}}' }] },
  { title: 'Kafka request latency, p99', unit: 's', targets: [{ expr: 'histogram_quantile(0.99, sum by (instance, api, le) (rate(tributary_kafka_request_duration_seconds_bucket{api!="Fetch"}[$__rate_interval])))', legend: '{{instance}} {{api}}' }] },
  { title: 'Resident memory', unit: 'bytes', targets: [{ expr: 'tributary_process_resident_memory_bytes', legend: '{{instance}}' }] },
  { title: 'Versions', unit: 'short', kind: 'table', targets: [
    { expr: 'tributary_build_info', legend: '{{instance}} {{version}}' },
    { expr: 'tributary_config_info', legend: '{{instance}} {{config_version}}' }] },
];

const FLEET: Panel[] = [
  { title: 'Edges', unit: 'short', kind: 'stat', targets: [{ expr: 'tributary_fleet_edges', legend: 'edges' }] },
  { title: 'Edges with an alert', unit: 'short', kind: 'stat', targets: [{ expr: 'count by (alert) (tributary_fleet_edge_alert == 1)', legend: '{{alert}}' }] },
  { title: 'Alerts by edge', unit: 'short', kind: 'table', targets: [{ expr: 'tributary_fleet_edge_alert == 1', legend: '{{edge}} {{alert}}' }] },
  { title: 'Backlog by edge, records', unit: 'short', targets: [{ expr: 'topk(20, tributary_fleet_edge_backlog_records)', legend: '{{edge}}' }] },
  { title: 'Backlog by edge, seconds behind', unit: 's', targets: [{ expr: 'topk(20, tributary_fleet_edge_backlog_seconds)', legend: '{{edge}}' }] },
  { title: 'Backlog growth over the alert window', unit: 'short', targets: [
    { expr: 'topk(20, tributary_fleet_edge_backlog_growth_records)', legend: '{{edge}}' },
    { expr: 'tributary_fleet_alert_threshold_records{alert="backlog-growing"}', legend: 'threshold' }] },
  { title: 'Throughput by edge', unit: 'Bps', targets: [{ expr: 'topk(20, tributary_fleet_edge_throughput_bytes_per_second)', legend: '{{edge}}' }] },
  { title: 'Time since last heartbeat', unit: 's', targets: [
    { expr: 'topk(20, tributary_fleet_edge_heartbeat_age_seconds)', legend: '{{edge}}' },
    { expr: 'tributary_fleet_alert_threshold_seconds{alert="stale"}', legend: 'stale after' }] },
  { title: 'Clock skew', unit: 's', targets: [{ expr: 'tributary_fleet_edge_clock_skew_seconds', legend: '{{edge}}' }] },
  { title: 'Records lost (evicted before delivery)', unit: 'short', targets: [{ expr: 'tributary_fleet_edge_evicted_records > 0', legend: '{{edge}}' }] },
  { title: 'Link up', unit: 'short', targets: [{ expr: 'sum(tributary_fleet_edge_link_up)', legend: 'edges with the link up' }] },
  { title: 'Software and configuration versions', unit: 'short', kind: 'table', targets: [{ expr: 'count by (software_version, config_version) (tributary_fleet_edge_info)', legend: '{{software_version}} {{config_version}}' }] },
];

function dashboard(uid: string, title: string, description: string, panels: Panel[]): unknown {
  return {
    uid, title, description, tags: ['tributary'], timezone: 'browser', schemaVersion: 39, version: 1, refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: panel.kind ?? 'timeseries',
      title: panel.title,
      description: panel.description ?? '',
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: panel.width ?? 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: {},
      targets: panel.targets.map((target, targetIndex) => ({ refId: String.fromCharCode(65 + targetIndex), expr: target.expr, legendFormat: target.legend, ...(panel.kind === 'table' ? { format: 'table', instant: true } : {}) })),
    })),
  };
}

const directory = join(import.meta.dirname, '..', 'deploy', 'grafana');
writeFileSync(join(directory, 'tributary-edge.json'), `${JSON.stringify(dashboard('tributary-edge', 'Tributary edge', 'One edge (or several, by instance): throughput by protocol, the mirror, disk, flash, MQTT clients. Generated by scripts/grafana-dashboards.ts.', EDGE), null, 2)}\n`);
writeFileSync(join(directory, 'tributary-fleet.json'), `${JSON.stringify(dashboard('tributary-fleet', 'Tributary fleet', 'Every edge as tributary fleet sees it from the heartbeats, with its alerts. Generated by scripts/grafana-dashboards.ts.', FLEET), null, 2)}\n`);
