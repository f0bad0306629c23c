// Sync windows: when a metered or shared link may carry the mirror's data. Each window
// opens at the times of a cron expression (node-cron syntax, the device's local time) and
// stays open for its duration; with no windows the link is always open. Windows may
// overlap; the link is open while any of them is.
//
// node-cron parses the expressions and decides whether a moment matches; this file only
// walks the minutes around a moment, so the arithmetic is tested with any clock.
import cron, { type ScheduledTask } from 'node-cron';
import { TributaryError } from '../shared/errors.ts';
import type { SyncWindowConfig } from '../shared/config/mirror-schema.ts';

const MINUTE_MS = 60_000;
/** How far ahead the next opening is looked for; past this the mirror checks again later. */
const LOOKAHEAD_MINUTES = 8 * 24 * 60;
/** Longest sleep between checks, so that a clock change (NTP after boot) is noticed. */
const RECHECK_MS_MAX = 15 * MINUTE_MS;

interface Window {
  expression: string;
  durationMs: number;
  task: ScheduledTask;
  seconds: readonly number[];
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
}

export interface WindowState {
  open: boolean;
  /** When the state may change next (ms since the epoch); the caller looks again then. */
  nextChangeMs: number;
}

export class SyncWindows {
  readonly #windows: Window[];

  constructor(configs: readonly SyncWindowConfig[], where = 'mirror.link.syncWindows') {
    this.#windows = configs.map((config, index) => {
      const key = `${where}[${index}].cron`;
      if (!cron.validate(config.cron)) {
        throw new TributaryError('CONFIG_INVALID', `${key}: "${config.cron}" is not a valid cron expression (minute hour day month weekday, optionally a leading seconds field)`, { key });
      }
      const fields = cron.parse(config.cron);
      // Created, never started: node-cron is used here to match moments, not to run anything.
      const task = cron.createTask(config.cron, () => undefined);
      return {
        expression: config.cron,
        durationMs: config.durationMinutes * MINUTE_MS,
        task,
        seconds: [...fields.second].sort((a, b) => a - b),
        minutes: new Set(fields.minute),
        hours: new Set(fields.hour),
      };
    });
  }

  get always(): boolean {
    return this.#windows.length === 0;
  }

  /** Whether the link is open at `nowMs`, and when to look again. */
  state(nowMs: number): WindowState {
    if (this.always) return { open: true, nextChangeMs: Number.POSITIVE_INFINITY };
    let closesMs = Number.NEGATIVE_INFINITY;
    for (const window of this.#windows) {
      const opened = this.#lastOpening(window, nowMs);
      if (opened !== undefined) closesMs = Math.max(closesMs, opened + window.durationMs);
    }
    if (closesMs > nowMs) return { open: true, nextChangeMs: Math.min(closesMs, nowMs + RECHECK_MS_MAX) };
    let opensMs = Number.POSITIVE_INFINITY;
    for (const window of this.#windows) {
      const opening = this.#nextOpening(window, nowMs);
      if (opening !== undefined) opensMs = Math.min(opensMs, opening);
    }
    return { open: false, nextChangeMs: Math.min(opensMs, nowMs + RECHECK_MS_MAX) };
  }

  close(): void {
    for (const window of this.#windows) void window.task.destroy();
  }

  /** The latest opening in (nowMs - duration, nowMs], if any. */
  #lastOpening(window: Window, nowMs: number): number | undefined {
    const minuteStart = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const minutesBack = Math.ceil(window.durationMs / MINUTE_MS);
    for (let step = 0; step <= minutesBack; step += 1) {
      const minute = minuteStart - step * MINUTE_MS;
      for (let index = window.seconds.length - 1; index >= 0; index -= 1) {
        const at = minute + window.seconds[index]! * 1000;
        if (at > nowMs || at <= nowMs - window.durationMs) continue;
        if (this.#matches(window, at)) return at;
      }
    }
    return undefined;
  }

  /** The first opening after nowMs within the lookahead, if any. */
  #nextOpening(window: Window, nowMs: number): number | undefined {
    const minuteStart = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    for (let step = 0; step <= LOOKAHEAD_MINUTES; step += 1) {
      const minute = minuteStart + step * MINUTE_MS;
      for (const second of window.seconds) {
        const at = minute + second * 1000;
        if (at <= nowMs) continue;
        if (this.#matches(window, at)) return at;
      }
    }
    return undefined;
  }

  #matches(window: Window, atMs: number): boolean {
    const date = new Date(atMs);
    // Cheap checks first; node-cron's full match (days, months, weekdays) only for candidates.
    if (!window.hours.has(date.getHours()) || !window.minutes.has(date.getMinutes())) return false;
    return window.task.match(date);
  }
}
