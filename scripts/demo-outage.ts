// The demo's scripted outage, which shows "summaries first": every edge's uplink is cut
// through its fault-injecting link's control port while the devices keep publishing, then
// mended. As each uplink comes back, the log end of the edge's summary and raw topics is
// noted (the console's GET /api/topic); from then on the edge's mirror report (GET
// /api/mirror, the one `tributary mirror status` prints) is read until the mirror has
// delivered up to those log ends, the summaries and the raw readings apart, and each
// arrival is told. The summaries are mirrored at a higher priority
// (mirror.topics.priorities), so they get there first, while the raw backlog is still crossing.
import { setTimeout as delay } from 'node:timers/promises';
import type { MirrorReportJson } from '../edge/cli/ops/mirror-report.ts';

/** How often a draining backlog is looked at: fine enough to tell which topic arrived first, cheap for the edge. */
const RECOVERY_POLL_MS = 250;
/** Longest watch after an uplink is back; a backlog still crossing then is said to be, and no longer watched. */
const RECOVERY_WATCH_MS_MAX = 10 * 60_000;
/** A control request to a link answers at once; past this the link process is stuck. */
const CONTROL_TIMEOUT_MS = 10_000;

export interface OutageEdge {
  id: string;
  /** The edge's admin port, http://HOST:PORT. */
  admin: string;
  /** Its link's control port, HOST:PORT. */
  linkControl: string;
}

/** The edge topics told apart: the pipeline's summaries and the devices' readings. */
export interface OutageTopics {
  summaries: string;
  raw: string;
}

type Kind = keyof OutageTopics;

export type OutageEvent =
  | { event: 'outage-started'; edges: string[]; forMs: number }
  /** Records of each kind that had not crossed when the uplink came back. */
  | { event: 'uplink-restored'; edge: string; waiting: Record<Kind, number> }
  /** Everything of one kind that waited at the restore is at the central; `otherWaiting` of the other kind has still not crossed. */
  | { event: 'caught-up'; edge: string; kind: Kind; topic: string; records: number; afterMs: number; otherWaiting: number }
  | { event: 'still-crossing'; edge: string; kinds: Kind[]; afterMs: number };

async function getJson<T>(admin: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, admin), { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${new URL(path, admin)} answered ${response.status}`);
  return await response.json() as T;
}

export function mirrorReport(admin: string): Promise<MirrorReportJson> {
  return getJson<MirrorReportJson>(admin, '/api/mirror');
}

/** Records of `topic` not yet delivered, over its partitions (the report's own per-partition figures). */
export function backlogOf(report: MirrorReportJson, topic: string): number {
  return report.partitions.filter((row) => row.topic === topic).reduce((sum, row) => sum + Number(row.backlogRecords), 0);
}

async function control(linkControl: string, action: 'cut' | 'restore'): Promise<void> {
  const response = await fetch(`http://${linkControl}/${action}`, { method: 'POST', signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`link ${linkControl}: ${action} answered ${response.status}`);
}

/** The edge's log end of every partition of `topic`: what has to cross. */
async function logEnds(admin: string, topic: string): Promise<Map<number, bigint>> {
  const body = await getJson<{ partitions: { partition: number; logEndOffset: string }[] }>(admin, `/api/topic?name=${encodeURIComponent(topic)}`);
  return new Map(body.partitions.map((row) => [row.partition, BigInt(row.logEndOffset)]));
}

/** Records of `ends` not delivered in `report`; a partition missing from it (its position is being found again) has delivered nothing yet. */
function notDelivered(report: MirrorReportJson, topic: string, ends: ReadonlyMap<number, bigint>): number {
  const delivered = new Map(report.partitions.filter((row) => row.topic === topic).map((row) => [row.partition, BigInt(row.deliveredOffset)]));
  let waiting = 0n;
  for (const [partition, end] of ends) {
    const offset = delivered.get(partition) ?? 0n;
    if (offset < end) waiting += end - offset;
  }
  return Number(waiting);
}

/**
 * Cuts every edge's uplink for `forMs`, then mends them and follows each edge's recovery
 * until both kinds that waited have crossed (or RECOVERY_WATCH_MS_MAX). Resolves once
 * every edge is followed to its end; stops early when `signal` aborts.
 */
export async function runOutage(edges: readonly OutageEdge[], topics: OutageTopics, forMs: number, emit: (event: OutageEvent) => void, signal: AbortSignal): Promise<void> {
  await Promise.all(edges.map((edge) => control(edge.linkControl, 'cut')));
  emit({ event: 'outage-started', edges: edges.map((edge) => edge.id), forMs });
  await pause(forMs, signal);
  if (signal.aborted) return;
  await Promise.all(edges.map(async (edge) => {
    // What has to cross is what the edge holds as the uplink comes back.
    const ends = { summaries: await logEnds(edge.admin, topics.summaries), raw: await logEnds(edge.admin, topics.raw) };
    const before = await mirrorReport(edge.admin);
    await control(edge.linkControl, 'restore');
    const restoredAtMs = Date.now();
    emit({ event: 'uplink-restored', edge: edge.id, waiting: { summaries: notDelivered(before, topics.summaries, ends.summaries), raw: notDelivered(before, topics.raw, ends.raw) } });
    const pending = new Set<Kind>(['summaries', 'raw']);
    while (pending.size > 0 && !signal.aborted) {
      if (Date.now() - restoredAtMs > RECOVERY_WATCH_MS_MAX) {
        emit({ event: 'still-crossing', edge: edge.id, kinds: [...pending], afterMs: Date.now() - restoredAtMs });
        return;
      }
      let report: MirrorReportJson;
      try {
        report = await mirrorReport(edge.admin);
      } catch {
        // A busy edge may answer late; the next look tells.
        await pause(RECOVERY_POLL_MS, signal);
        continue;
      }
      const afterMs = Date.now() - restoredAtMs;
      for (const kind of [...pending]) {
        if (notDelivered(report, topics[kind], ends[kind]) > 0) continue;
        pending.delete(kind);
        const other: Kind = kind === 'summaries' ? 'raw' : 'summaries';
        emit({ event: 'caught-up', edge: edge.id, kind, topic: topics[kind], records: notDelivered(before, topics[kind], ends[kind]), afterMs, otherWaiting: notDelivered(report, topics[other], ends[other]) });
      }
      await pause(RECOVERY_POLL_MS, signal);
    }
  }));
}

/** Waits, or less when `signal` aborts (the demo is stopping). */
async function pause(milliseconds: number, signal: AbortSignal): Promise<void> {
  await delay(milliseconds, undefined, { signal }).catch(() => undefined);
}
