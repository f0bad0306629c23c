// Where a process's CPU time went, from a V8 CPU profile (`node --cpu-prof`): per phase of a
// benchmark when a phases file lies beside the profile (bench:kafka with BENCH_CPU_PROFILE_DIR
// writes phases-<pid>.json), else over the whole profile. For each: the busy time, the
// functions with the most time of their own (self), the functions with the most time under
// them (total), and the time of each part of the code (a project folder, a package, Node.js's
// internals, the garbage collector).
//
//   node bench/cpu-profile-summary.ts PROFILE.cpuprofile [--top 15]
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PhaseMark } from './kafka/measure-broker.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

const PROJECT_ROOT = resolve(import.meta.dirname, '..');
/** V8's own entries, which are not code. */
const IDLE = '(idle)';

/** The part of the code a frame belongs to: a project folder (edge/kafka), a package, node:… or a V8 entry. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? `node:internal/${url.split('/')[1]}` : url;
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (packageMatch !== null) return packageMatch[1]!;
  if (path.startsWith(PROJECT_ROOT)) return dirname(path.slice(PROJECT_ROOT.length + 1));
  return path;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${areaOf(url, functionName)}/${basename(url)}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
}

function top(totals: Map<string, number>, count: number, busyMs: number): string[] {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ms]) => `    ${ms.toFixed(0).padStart(7)} ms ${((ms / busyMs) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

function summarise(profile: Profile, label: string, from: number, to: number, count: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    time += profile.timeDeltas[index]!;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    if (time < from || time > to) continue;
    const node = byId.get(profile.samples[index]!)!;
    if (node.callFrame.functionName === IDLE) { idleMs += ms; continue; }
    busyMs += ms;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const onStack = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      if (frame.callFrame.functionName !== '(root)') onStack.add(frameName(frame));
    }
    for (const frame of onStack) total.set(frame, (total.get(frame) ?? 0) + ms);
  }
  return [
    `${label}: ${busyMs.toFixed(0)} ms busy, ${idleMs.toFixed(0)} ms idle (of ${((to - from) / 1000).toFixed(0)} ms)`,
    '  by part of the code (self time)', ...top(areas, count, busyMs),
    '  functions by self time', ...top(self, count, busyMs),
    '  functions by total time (self and what they call)', ...top(total, count, busyMs),
  ];
}

function main(argv: string[]): void {
  const path = argv.find((argument) => argument.endsWith('.cpuprofile'));
  if (path === undefined) throw new Error('usage: node bench/cpu-profile-summary.ts PROFILE.cpuprofile [--top N]');
  const countFlag = argv.indexOf('--top');
  const count = countFlag >= 0 ? Number(argv[countFlag + 1]) : 15;
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  // The profile's name is CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile.
  const pid = basename(path).split('.')[3];
  const phasesPath = join(dirname(path), `phases-${pid}.json`);
  const end = profile.startTime + profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  const windows: PhaseMark[] = existsSync(phasesPath) ? JSON.parse(readFileSync(phasesPath, 'utf8')) as PhaseMark[] : [{ phase: 'whole profile', startMicroseconds: profile.startTime, endMicroseconds: end }];
  for (const window of windows) console.log(summarise(profile, window.phase, window.startMicroseconds, window.endMicroseconds, count).join('\n') + '\n');
}

main(process.argv.slice(2));
