// Every metric the Grafana dashboards and the Prometheus rules query exists in the /metrics
// of what exports it: the edge dashboard and edge rules against a running edge (with a
// mirror, MQTT and Kafka), the fleet dashboard and fleet rules against `tributary fleet`.
// Also: the dashboards on disk are what scripts/grafana-dashboards.ts makes, and the rule
// file has the shape Prometheus reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_THRESHOLDS } from '../../cloud/fleet-alerts.ts';
import { FleetView } from '../../cloud/fleet.ts';
import { silentLogger } from '../../shared/logger.ts';
import { Daemon } from '../helpers/daemon.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PROMQL_WORDS = new Set(['by', 'on', 'group_left', 'group_right', 'without', 'ignoring', 'and', 'or', 'unless', 'bool', 'offset']);
/** Series a histogram exports beside its name. */
const HISTOGRAM_SUFFIXES = /_(bucket|sum|count)$/;

/** Metric names in a PromQL expression: identifiers that are not functions (followed by "("), label names (followed by "=" or inside by (…)) or keywords. */
function metricNames(expression: string): string[] {
  const withoutLabels = expression.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
  return [...withoutLabels.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((match) => match[1]!).filter((name) => !PROMQL_WORDS.has(name) && !/^\d/.test(name) && name.includes('_'));
}

function exported(metricsText: string): Set<string> {
  return new Set(metricsText.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]!));
}

function dashboardExpressions(file: string): string[] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana', file), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}

function ruleExpressions(group: string): string[] {
  const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/tributary-alerts.yaml'), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; labels: Record<string, string>; annotations: { summary: string } }[] }[] };
  for (const entry of rules.groups) for (const rule of entry.rules) assert.ok(rule.alert && rule.expr && rule.labels.severity && rule.annotations.summary, `rule ${rule.alert} is complete`);
  return rules.groups.find((entry) => entry.name === group)!.rules.map((rule) => rule.expr);
}

function missing(expressions: string[], metrics: Set<string>): string[] {
  const names = new Set(expressions.flatMap(metricNames));
  assert.ok(names.size > 0, 'the expressions name metrics');
  return [...names].filter((name) => !metrics.has(name) && !metrics.has(name.replace(HISTOGRAM_SUFFIXES, '')));
}

test('the metric-name reader finds names and skips functions, labels and keywords', () => {
  assert.equal(metricNames('sum by (instance, le) (rate(a_total{x="y"}[5m])) / on() group_left() b_bytes'), ['a_total', 'b_bytes']);
});

test('the dashboards on disk are the ones the script makes', () => {
  const before = ['tributary-edge.json', 'tributary-fleet.json'].map((file) => readFileSync(join(ROOT, 'deploy/grafana', file), 'utf8'));
  execFileSync(process.execPath, [join(ROOT, 'scripts/grafana-dashboards.ts')]);
  const after = ['tributary-edge.json', 'tributary-fleet.json'].map((file) => readFileSync(join(ROOT, 'deploy/grafana', file), 'utf8'));
  assert.equal(after, before, 'run npm run docs:grafana and commit the result');
});

test('every metric of the edge dashboard and the edge rules is exported by a running edge', async () => {
  // A mirror to a port nothing listens on: its metrics are registered all the same.
  const edge = await Daemon.start({ config: { mirror: { target: { bootstrap: ['127.0.0.1:1'] }, heartbeat: { intervalMs: 0 } } } });
  try {
    const metrics = exported(await edge.metrics());
    assert.equal(missing([...dashboardExpressions('tributary-edge.json'), ...ruleExpressions('tributary-edge')], metrics), []);
  } finally {
    await edge.cleanup();
  }
});

test('every metric of the fleet dashboard and the fleet rules is exported by the fleet view', async () => {
  const view = await FleetView.start({ bootstrap: ['127.0.0.1:1'], topic: 'tributary.heartbeats', host: '127.0.0.1', port: 0, silentAfterMs: 90_000, laggingAfterSeconds: 300, thresholds: DEFAULT_THRESHOLDS, logger: silentLogger() });
  try {
    const metrics = exported(await (await fetch(`http://127.0.0.1:${view.port}/metrics`)).text());
    assert.equal(missing([...dashboardExpressions('tributary-fleet.json'), ...ruleExpressions('tributary-fleet')], metrics), []);
  } finally {
    await view.close();
  }
});

test.run();
