// The fleet view's alerts, each with a threshold an operator can set on the command line
// and that is exported as a metric, so that Prometheus rules (deploy/prometheus) can fire on
// the same condition as the page shows:
//   stale            no heartbeat for longer than staleAfterSeconds (by the edge's clock)
//   backlog-growing  the backlog grew by more than backlogGrowthRecords over backlogGrowthWindowSeconds
//   data-loss        the edge reports records evicted before delivery (its disk budget forced them out)
//   clock-skew       a heartbeat read as it arrived was sent more than clockSkewSeconds away from the fleet view's clock
import type { EdgeHistory } from './fleet-history.ts';
import type { Heartbeat } from '../shared/heartbeat.ts';

export const ALERTS = ['stale', 'backlog-growing', 'data-loss', 'clock-skew'] as const;
export type AlertName = (typeof ALERTS)[number];

export interface AlertThresholds {
  staleAfterSeconds: number;
  backlogGrowthRecords: number;
  backlogGrowthWindowSeconds: number;
  clockSkewSeconds: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  // Three missed heartbeats at the default 30 s interval.
  staleAfterSeconds: 90,
  backlogGrowthRecords: 1_000,
  backlogGrowthWindowSeconds: 600,
  // NTP keeps clocks within milliseconds; 30 s off is a clock nobody set.
  clockSkewSeconds: 30,
};

export function alertsOf(heartbeat: Heartbeat, history: EdgeHistory | undefined, thresholds: AlertThresholds, nowMs: number): AlertName[] {
  const alerts: AlertName[] = [];
  if (nowMs - heartbeat.sentAtMs > thresholds.staleAfterSeconds * 1000) alerts.push('stale');
  const growth = history?.backlogGrowth(thresholds.backlogGrowthWindowSeconds * 1000) ?? null;
  if (growth !== null && growth > thresholds.backlogGrowthRecords) alerts.push('backlog-growing');
  if (heartbeat.evictedUndeliveredRecords > 0) alerts.push('data-loss');
  const skew = history?.clockSkewMs ?? null;
  if (skew !== null && Math.abs(skew) > thresholds.clockSkewSeconds * 1000) alerts.push('clock-skew');
  return alerts;
}
