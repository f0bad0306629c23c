// Under npm (`npm start`, `npx tributary …`) a daemon stops when npm does.
//
// npm runs a script as `sh -c "<script>"`. On SIGTERM it passes the signal to that shell,
// which dies of it without passing it on; npm then exits too, and the daemon, orphaned,
// would keep its ports and its data directory lock. Process managers, scripts and test
// harnesses stop what they started with SIGTERM, so `npm start` must stop with it.
//
// How: a daemon whose environment says npm started it (npm sets npm_lifecycle_event or
// npm_command for what it runs) watches its launchers: its parent, and up through every
// ancestor npm also started (those have the same variables), to the npm process itself.
// When one of them is gone, the daemon stops as on SIGTERM. Linux has no event for the
// death of an ancestor (PR_SET_PDEATHSIG, which covers only the parent, is not reachable
// from Node.js), so each is checked in /proc, with its start time to tell a process from
// a later one that got its pid. The systemd unit and the container run
// `node bin/tributary.js` without npm, so none of this runs there, and `tributary edge &`
// from a shell keeps running after the shell exits, as before.
import { readFileSync } from 'node:fs';

/** How often the launchers are looked at: a stop follows npm's within this; a few small /proc reads cost nothing. */
const LAUNCHER_CHECK_INTERVAL_MS = 500;
/** Ancestors followed at most: npm, its shell, and npm run from another npm script, with room to spare. */
const LAUNCHER_DEPTH_MAX = 8;
/** Variables npm sets in the environment of what it runs. */
const NPM_VARIABLES = ['npm_lifecycle_event', 'npm_command'];

interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot at which it started (/proc/PID/stat field 22): a reused pid has another. */
  startTime: string;
}

interface ProcessStat extends ProcessIdentity {
  parentPid: number;
  /** Z (zombie) and X (dead) mean the process has ended even if its entry is still there. */
  state: string;
}

export interface LauncherWatch {
  /** Resolves with a description of the launcher that went away. */
  readonly gone: Promise<string>;
  stop(): void;
}

/** Watches the launchers of this process when npm started it; undefined when it did not. */
export function watchLauncher(environment: NodeJS.ProcessEnv = process.env): LauncherWatch | undefined {
  if (!startedByNpm(environment)) return undefined;
  const launchers = process.platform === 'linux' ? launcherChain(process.ppid) : [];
  const parentPid = process.ppid;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      // The parent changes when it dies: this process is handed to init or a subreaper.
      if (process.ppid !== parentPid) return resolve(`its parent (pid ${parentPid}) exited`);
      const ended = launchers.find((launcher) => !isRunning(launcher));
      if (ended !== undefined) resolve(`its launcher (pid ${ended.pid}) exited`);
    }, LAUNCHER_CHECK_INTERVAL_MS);
    // Watching must not keep a daemon that has stopped from exiting.
    timer.unref();
  });
  void gone.then(() => clearInterval(timer));
  return { gone, stop: () => clearInterval(timer) };
}

function startedByNpm(environment: NodeJS.ProcessEnv): boolean {
  return NPM_VARIABLES.some((name) => environment[name] !== undefined);
}

/** The parent, and each ancestor npm started, up to and including the npm that started the last of them. */
function launcherChain(parentPid: number): ProcessIdentity[] {
  const chain: ProcessIdentity[] = [];
  for (let pid = parentPid; pid > 1 && chain.length < LAUNCHER_DEPTH_MAX;) {
    const stat = readStat(pid);
    if (stat === undefined) break;
    chain.push({ pid: stat.pid, startTime: stat.startTime });
    if (!startedByNpm(readEnvironment(pid))) break;
    pid = stat.parentPid;
  }
  return chain;
}

function isRunning(launcher: ProcessIdentity): boolean {
  const stat = readStat(launcher.pid);
  return stat !== undefined && stat.startTime === launcher.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (command) state ppid …": the command may hold spaces and parentheses, so split after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 of stat(5) (state), so field N is fields[N - 3].
  return { pid, state: fields[0]!, parentPid: Number(fields[1]), startTime: fields[19]! };
}

/** The variables a process started with; empty when they cannot be read (another user's process). */
function readEnvironment(pid: number): NodeJS.ProcessEnv {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter((entry) => entry.includes('='));
    return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}
