// The inputs of the Streams run and what they determine: every reading carries a unique id,
// so the output (the joined records, the windows' id lists, the store restored from the
// changelog) can be compared with the inputs id by id. Each check returns the problems it
// found, so that a failure names them instead of a count.
import type { DumpedRecord, Guarantee } from './streams-programs.ts';

/** Devices and sensors: each sensor belongs to one device, so the readings (keyed by sensor) must be repartitioned by device. */
export const DEVICE_COUNT = 6;
export const SENSOR_COUNT = 12;
/** Readings fall in this many windows of each device, a round of every sensor at a time, so that every phase of a run adds to every window. */
export const WINDOW_COUNT = 4;
/** EdgeStreams.WINDOW_SIZE. */
export const WINDOW_MS = 60_000;
/** Problems listed in a failure message; the rest are counted. */
const PROBLEMS_SHOWN = 12;

export interface Reading { uid: string; sensor: string; device: string; value: number; timestamp: number }

/** The first reading's window: whole windows, a few minutes back, well inside the window store's retention. */
export function windowBase(now = Date.now()): number {
  return Math.floor(now / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;
}

export function makeReadings(first: number, count: number, base: number): Reading[] {
  return Array.from({ length: count }, (_, index) => {
    const number = first + index;
    const sensor = number % SENSOR_COUNT;
    return { uid: `r${number}`, sensor: `s${sensor}`, device: `d${sensor % DEVICE_COUNT}`, value: number * 7 % 100, timestamp: base + (Math.floor(number / SENSOR_COUNT) % WINDOW_COUNT) * WINDOW_MS + (number % 1000) };
  });
}

/** The producer's input lines: key, value, timestamp. */
export function readingLines(readings: readonly Reading[]): string {
  return readings.map((reading) => `${reading.sensor}\t${reading.uid},${reading.device},${reading.value}\t${reading.timestamp}\n`).join('');
}

export function siteOf(device: string): string {
  return `site-of-${device}`;
}

/**
 * The compacted devices topic: an older site for each device, then its current one, both
 * earlier than every reading, so that the table holds the current site before any reading
 * is joined (Streams processes a task's records in timestamp order).
 */
export function deviceLines(base: number): string {
  const devices = Array.from({ length: DEVICE_COUNT }, (_, index) => `d${index}`);
  return [
    ...devices.map((device) => `${device}\tformer-site-of-${device}\t${base - 2 * 3_600_000}\n`),
    ...devices.map((device) => `${device}\t${siteOf(device)}\t${base - 3_600_000}\n`),
  ].join('');
}

/** The uids each window (`device@windowStart`, as the application keys its output) must hold. */
export function expectedWindows(readings: readonly Reading[]): Map<string, string[]> {
  const windows = new Map<string, string[]>();
  for (const reading of readings) {
    const key = `${reading.device}@${Math.floor(reading.timestamp / WINDOW_MS) * WINDOW_MS}`;
    windows.set(key, [...(windows.get(key) ?? []), reading.uid]);
  }
  return windows;
}

/** The uids of the records of the input topic: each sent once, and each in the topic once (the producer is idempotent). */
export function checkInputs(records: readonly DumpedRecord[], sent: readonly Reading[]): string[] {
  const stored = countBy(records.map((record) => record.value.split(',')[0]!));
  const problems: string[] = [];
  for (const reading of sent) {
    const copies = stored.get(reading.uid) ?? 0;
    if (copies !== 1) problems.push(`input ${reading.uid}: ${copies} copies in the input topic, not 1`);
  }
  if (stored.size !== sent.length) problems.push(`the input topic holds ${stored.size} distinct readings, ${sent.length} were sent`);
  return problems;
}

/** Each reading joined with its device's current site: exactly once under exactly_once_v2, at least once under at_least_once, and nothing else. */
export function checkEnriched(records: readonly DumpedRecord[], readings: readonly Reading[], guarantee: Guarantee): string[] {
  const byUid = new Map(readings.map((reading) => [reading.uid, reading]));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    const [uid, device, value, site] = record.value.split(',');
    const reading = byUid.get(uid!);
    if (reading === undefined) { problems.push(`enriched ${record.partition}@${record.offset}: ${record.value} is no input`); continue; }
    if (record.key !== reading.device || device !== reading.device || Number(value) !== reading.value || site !== siteOf(reading.device)) {
      problems.push(`enriched ${record.partition}@${record.offset}: key ${record.key}, value ${record.value}; expected key ${reading.device}, value ${uid},${reading.device},${reading.value},${siteOf(reading.device)}`);
    }
    seen.set(uid!, (seen.get(uid!) ?? 0) + 1);
  }
  for (const reading of readings) problems.push(...checkCopies(`reading ${reading.uid} in enriched`, seen.get(reading.uid) ?? 0, guarantee));
  return problems;
}

/** The last value of each key, in the order of the topic (a key stays in one partition). */
export function latestByKey(records: readonly DumpedRecord[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const record of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) latest.set(record.key, record.value);
  return latest;
}

/**
 * A window's uid list against what the inputs determine: every uid of the window present,
 * exactly once under exactly_once_v2 (at least once under at_least_once), and no other.
 */
export function checkWindow(where: string, uids: string, expected: readonly string[] | undefined, guarantee: Guarantee): string[] {
  if (expected === undefined) return [`${where}: a window no input falls in`];
  const counts = countBy(uids.split(';'));
  const expectedSet = new Set(expected);
  const problems = [...counts.keys()].filter((uid) => !expectedSet.has(uid)).map((uid) => `${where}: ${uid} does not belong to this window`);
  for (const uid of expected) problems.push(...checkCopies(`${where}: ${uid}`, counts.get(uid) ?? 0, guarantee));
  return problems;
}

/**
 * The windows topic: the latest value of every window holds its inputs (once each under
 * exactly_once_v2), and under exactly_once_v2 no value ever emitted counts a reading twice.
 */
export function checkWindows(records: readonly DumpedRecord[], expected: ReadonlyMap<string, string[]>, guarantee: Guarantee): string[] {
  const problems: string[] = [];
  const latest = latestByKey(records);
  for (const [key, uids] of expected) {
    const value = latest.get(key);
    if (value === undefined) problems.push(`window ${key}: no output`);
    else problems.push(...checkWindow(`window ${key}`, value, uids, guarantee));
  }
  for (const key of latest.keys()) if (!expected.has(key)) problems.push(`window ${key}: output for a window no input falls in`);
  if (guarantee === 'exactly_once_v2') {
    for (const record of records) {
      const uids = record.value.split(';');
      if (new Set(uids).size !== uids.length) problems.push(`window ${record.key} at ${record.partition}@${record.offset}: a reading counted twice in ${record.value}`);
    }
  }
  return problems;
}

/** The window store restored from its changelog into an empty state directory: the same windows, with the same lists, as the last output. */
export function checkRestored(restored: ReadonlyMap<string, string>, latestOutput: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string[]>, guarantee: Guarantee): string[] {
  const problems: string[] = [];
  for (const [key, uids] of expected) {
    const value = restored.get(key);
    if (value === undefined) { problems.push(`restored window ${key}: missing`); continue; }
    problems.push(...checkWindow(`restored window ${key}`, value, uids, guarantee));
    if (value !== latestOutput.get(key)) problems.push(`restored window ${key}: ${value}\n  differs from its last output ${latestOutput.get(key)}`);
  }
  for (const key of restored.keys()) if (!expected.has(key)) problems.push(`restored window ${key}: a window no input falls in`);
  return problems;
}

/** A failure message that names the problems, or undefined when there are none. */
export function describeProblems(what: string, problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  const more = problems.length > PROBLEMS_SHOWN ? `\n…and ${problems.length - PROBLEMS_SHOWN} more` : '';
  return `${what}: ${problems.length} problems\n${problems.slice(0, PROBLEMS_SHOWN).join('\n')}${more}`;
}

function checkCopies(what: string, copies: number, guarantee: Guarantee): string[] {
  if (copies === 0) return [`${what}: lost`];
  if (copies > 1 && guarantee === 'exactly_once_v2') return [`${what}: ${copies} times under exactly_once_v2`];
  return [];
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
