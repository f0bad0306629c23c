// What Linux says about a process the benchmarks measure (proc(5)): CPU time spent and
// resident memory, read from /proc/<pid>/stat and /proc/<pid>/status; the CPU time of the
// clients a benchmark ran, from its own /proc/self/stat; and how loaded the machine was, from
// /proc/loadavg.
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name: field N of proc(5) is at N - 3. */
function statFields(pid: number | 'self'): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** User plus system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // Fields 14 (utime) and 15 (stime).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * User plus system CPU seconds of this process's children that have ended and been waited
 * for (Node.js waits for every child it spawned): the difference around a client's run is
 * the CPU that client used.
 */
export function endedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  // Fields 16 (cutime) and 17 (cstime).
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory now (VmRSS), at its peak (VmHWM), or the anonymous part of it now (RssAnon: not pages of files), in KiB. */
export function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN);
}

/** The machine's load averages over 1, 5 and 15 minutes (/proc/loadavg): how busy the shared machine was around a run. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [one!, five!, fifteen!];
}

/**
 * Seconds the process's threads spent runnable but waiting for a CPU, so far (the second
 * field of /proc/<pid>/task/<tid>/schedstat, summed over its threads): on a shared
 * machine, how much of a slow run was the scheduler's rather than the process's own work.
 * Threads that ended before the call are not counted.
 */
export function runQueueWaitSeconds(pid: number): number {
  let nanoseconds = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanoseconds / 1e9;
}
