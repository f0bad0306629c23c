// strace's output made into the explorer's trace (../trace.ts). strace runs with
//
//   -f            every thread: the sqlite3 package runs its statements on libuv's pool
//   -y            each fd argument and result followed by <the path it refers to>
//   -xx           every string printed as \xNN escapes: written bytes and paths alike
//   -s <large>    whole buffers, not the first 32 bytes
//
// A call another thread interrupts is printed in two pieces, `NAME(args <unfinished ...>`
// and later `<... NAME resumed>rest`, from the same pid; the pieces are joined, and the
// call counts where it completed (the resumed piece). An fsync or fdatasync also notes how
// much of the trace had completed when it was issued (its first piece): it covers only that.
//
// Only files under the data directory enter the trace, and of them not SQLite's -shm
// files: the wal-index is shared memory (written through mmap, which no syscall shows), is
// never synced, and the first connection after a crash discards it and rebuilds it from
// the WAL (unixLockSharedMemory truncates it when it holds the dead-man-switch lock alone).
// Writes to the marker file become marker entries.
import { relative } from 'node:path';
import type { TraceEntry } from '../trace.ts';

/** The syscalls traced: SQLite's file I/O on Linux (pwrite64 at an offset; write after lseek in builds without pwrite), and the namespace. */
export const TRACED_SYSCALLS = ['openat', 'pwrite64', 'write', 'lseek', 'ftruncate', 'fsync', 'fdatasync', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat'] as const;

/** A file ending so is SQLite's wal-index: shared memory, not durable state. */
const WAL_INDEX_SUFFIX = '-shm';

/** One call, after its pieces are joined: `name(args) = result`. */
interface Call {
  name: string;
  args: string;
  result: string;
  /** Trace entries completed when the call was issued. */
  issuedAt: number;
}

const LINE = /^(\d+) +(.*)$/;
const WHOLE = /^([a-z0-9_]+)\((.*)\)\s+= (.*)$/s;
const UNFINISHED = /^([a-z0-9_]+)\((.*) <unfinished \.\.\.>$/s;
const RESUMED = /^<\.\.\. ([a-z0-9_]+) resumed>(.*)\)\s+= (.*)$/s;
/** A quoted string of \xNN escapes, as -xx prints every string. */
const QUOTED = /^"((?:\\x[0-9a-f]{2})*)"/;
/** An fd with its path, as -y prints it: `3<\x2f...>`. */
const FD_WITH_PATH = /^(-?\d+|AT_FDCWD)<((?:\\x[0-9a-f]{2})*)>/;

function unescape(hex: string): Buffer {
  return Buffer.from(hex.replaceAll('\\x', ''), 'hex');
}

/** The arguments of a call, split at top-level commas; strings and fd paths are kept whole. */
function splitArguments(args: string): string[] {
  return args.split(', ');
}

function fdPath(argument: string): string | undefined {
  const match = FD_WITH_PATH.exec(argument);
  return match === null ? undefined : unescape(match[2]!).toString('utf8');
}

function fdNumber(argument: string): number {
  return Number.parseInt(argument, 10);
}

function quoted(argument: string): Buffer {
  const match = QUOTED.exec(argument);
  if (match === null) throw new Error(`strace output: expected a string printed in \\x escapes (-xx), found ${argument.slice(0, 80)}`);
  return unescape(match[1]!);
}

/** The number a call returned: -1 for a failure (`-1 ENOENT (...)`), NaN for none (`?`). */
function returned(result: string): number {
  return Number.parseInt(result, 10);
}

export interface StraceTraceOptions {
  /** The data directory, absolute: only files under it are traced, by their paths relative to it. */
  root: string;
  /** The marker file, absolute: each write to it is one marker entry per line. */
  markerPath: string;
  /** Directories under the root that existed when the trace began. */
  directories: string[];
}

/** Builds trace entries from strace's output (the options above), in the order the calls completed. */
export function traceFromStrace(output: string, options: StraceTraceOptions): TraceEntry[] {
  const entries: TraceEntry[] = [];
  const inodes = new Map<string, number>();
  const directories = new Set(['', ...options.directories]);
  /** Positions of fds opened on traced files, for plain write(2). */
  const positions = new Map<number, number>();
  const pending = new Map<string, { name: string; args: string; issuedAt: number }>();
  let nextInode = 1;

  const inside = (path: string): string | undefined => {
    const name = relative(options.root, path);
    if (name.startsWith('..') || name.startsWith('/') || name.endsWith(WAL_INDEX_SUFFIX)) return undefined;
    return name;
  };
  const inodeOf = (name: string): number => {
    const inode = inodes.get(name);
    if (inode === undefined) throw new Error(`strace output: ${name} is written but its creation was not traced`);
    return inode;
  };
  const markerText: string[] = [];

  const handle = (call: Call): void => {
    const result = returned(call.result);
    // A failed call (-1 ENOENT) changed nothing; one the process's end cut short (`?`) never completed.
    if (!(result >= 0)) return;
    const args = splitArguments(call.args);
    switch (call.name) {
      case 'openat': {
        const path = fdPath(call.result);
        const flags = args[2] ?? '';
        if (path === undefined) return;
        const name = inside(path);
        if (name === undefined || directories.has(name) || flags.includes('O_DIRECTORY')) return;
        positions.set(result, 0);
        if (!inodes.has(name)) {
          if (!flags.includes('O_CREAT')) throw new Error(`strace output: ${name} is opened but was neither in the data directory at the start nor created`);
          inodes.set(name, nextInode);
          entries.push({ kind: 'create', path: name, inode: nextInode++ });
        } else if (flags.includes('O_TRUNC')) {
          entries.push({ kind: 'truncate', inode: inodeOf(name), length: 0 });
        }
        return;
      }
      case 'write':
      case 'pwrite64': {
        const path = fdPath(args[0]!);
        if (path === undefined) return;
        const bytes = quoted(args[1]!).subarray(0, result);
        if (bytes.length !== result) throw new Error(`strace output: ${call.name} of ${result} bytes printed ${bytes.length}; raise -s`);
        if (path === options.markerPath) {
          markerText.push(bytes.toString('utf8'));
          const lines = markerText.join('').split('\n');
          markerText.length = 0;
          markerText.push(lines.pop()!);
          for (const text of lines) entries.push({ kind: 'marker', text });
          return;
        }
        const name = inside(path);
        if (name === undefined) return;
        const fd = fdNumber(args[0]!);
        const position = call.name === 'pwrite64' ? Number(args.at(-1)) : (positions.get(fd) ?? 0);
        if (call.name === 'write') positions.set(fd, position + result);
        entries.push({ kind: 'write', inode: inodeOf(name), position, bytes: Buffer.from(bytes) });
        return;
      }
      case 'lseek': {
        const path = fdPath(args[0]!);
        if (path !== undefined && inside(path) !== undefined) positions.set(fdNumber(args[0]!), result);
        return;
      }
      case 'ftruncate': {
        const path = fdPath(args[0]!);
        const name = path === undefined ? undefined : inside(path);
        if (name !== undefined) entries.push({ kind: 'truncate', inode: inodeOf(name), length: Number(args[1]) });
        return;
      }
      case 'fsync':
      case 'fdatasync': {
        const path = fdPath(args[0]!);
        const name = path === undefined ? undefined : inside(path);
        if (name === undefined) return;
        if (directories.has(name)) entries.push({ kind: 'syncDirectory', path: name, issuedAt: call.issuedAt });
        else entries.push({ kind: 'sync', inode: inodeOf(name), issuedAt: call.issuedAt });
        return;
      }
      case 'mkdir':
      case 'mkdirat': {
        const name = inside(quoted(args[call.name === 'mkdir' ? 0 : 1]!).toString('utf8'));
        if (name === undefined) return;
        directories.add(name);
        entries.push({ kind: 'mkdir', path: name });
        return;
      }
      case 'unlink':
      case 'unlinkat': {
        const name = inside(call.name === 'unlink' ? quoted(args[0]!).toString('utf8') : pathAt(args[0]!, args[1]!));
        if (name === undefined || !inodes.has(name)) return;
        inodes.delete(name);
        entries.push({ kind: 'unlink', path: name });
        return;
      }
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        const [from, to] = call.name === 'rename' ? [quoted(args[0]!).toString('utf8'), quoted(args[1]!).toString('utf8')] : [pathAt(args[0]!, args[1]!), pathAt(args[2]!, args[3]!)];
        const fromName = inside(from);
        const toName = inside(to);
        if (fromName === undefined || toName === undefined) return;
        const inode = inodeOf(fromName);
        inodes.delete(fromName);
        inodes.set(toName, inode);
        entries.push({ kind: 'rename', from: fromName, to: toName });
        return;
      }
    }
  };

  for (const line of output.split('\n')) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, pid, rest] = match as unknown as [string, string, string];
    const whole = WHOLE.exec(rest);
    if (whole !== null && !rest.startsWith('<...')) {
      handle({ name: whole[1]!, args: whole[2]!, result: whole[3]!, issuedAt: entries.length });
      continue;
    }
    const unfinished = UNFINISHED.exec(rest);
    if (unfinished !== null) {
      pending.set(pid, { name: unfinished[1]!, args: unfinished[2]!, issuedAt: entries.length });
      continue;
    }
    const resumed = RESUMED.exec(rest);
    if (resumed !== null) {
      const start = pending.get(pid);
      pending.delete(pid);
      if (start === undefined || start.name !== resumed[1]) throw new Error(`strace output: ${resumed[1]} resumed in pid ${pid} without its start`);
      handle({ name: start.name, args: start.args + resumed[2]!, result: resumed[3]!, issuedAt: start.issuedAt });
    }
    // Anything else (signals, exits, a call cut short by the process's end) changes no file.
  }
  return entries;
}

/** The path of an *at call's (dirfd, "path") pair: absolute as given, or under the directory -y names. */
function pathAt(directoryArgument: string, pathArgument: string): string {
  const path = quoted(pathArgument).toString('utf8');
  if (path.startsWith('/')) return path;
  const directory = fdPath(directoryArgument);
  if (directory === undefined) throw new Error(`strace output: a relative path ${path} without its directory's path (-y)`);
  return `${directory}/${path}`;
}
