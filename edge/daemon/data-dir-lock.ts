// One daemon per data directory: two processes appending to the same segments would
// corrupt them. The guard is a kernel lock on DATA/tributary.lock (an fcntl write lock,
// as Apache Kafka takes on the `.lock` file of each log directory), not the pid written
// in the file: the kernel drops the lock when its process dies, however it dies (SIGKILL,
// power cut, a zombie not yet reaped), so a lock is never stale. A pid in the file means
// nothing by itself; after a reboot it is often the pid of some other live process.
//
// fcntl locks belong to a process, not to a file descriptor: a second lock from the same
// process would succeed, and closing any descriptor of the file would drop the lock. So
// the file is opened once, never read through another descriptor while held, and the
// directories this process holds are also kept in a set.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TributaryError } from '../../shared/errors.ts';

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'tributary.lock';

// os-lock is CommonJS with a Node-API addon: fcntl(F_SETLK) on Linux.
const { lock } = createRequire(import.meta.url)('os-lock') as {
  lock(fd: number, options: { exclusive: boolean; immediate: boolean }): Promise<void>;
};

/** Lock files this process holds, by device and inode (fcntl cannot refuse its own process). */
const heldByThisProcess = new Set<string>();

/** errno codes of fcntl(F_SETLK) when another process holds a conflicting lock. */
const HELD_ELSEWHERE = new Set(['EAGAIN', 'EACCES', 'EWOULDBLOCK']);

/**
 * Takes DATA/tributary.lock, or throws a TributaryError naming the process that holds it.
 * Returns the release: unlocks and closes. The file stays: removing it would let a
 * process that opened the old file and one that creates a new one both "hold" the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (error) {
    throw new TributaryError('STORAGE_IO', `${path}: cannot open the data directory lock: ${(error as Error).message}`, { path }, { cause: error });
  }
  const { dev, ino } = fstatSync(fd);
  const identity = `${dev}:${ino}`;
  try {
    if (heldByThisProcess.has(identity)) throw inUse(dataDir, path, process.pid);
    try {
      await lock(fd, { exclusive: true, immediate: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (HELD_ELSEWHERE.has(code)) throw inUse(dataDir, path, ownerOf(path));
      throw new TributaryError('STORAGE_IO', `${path}: cannot lock the data directory: ${(error as Error).message}`, { path }, { cause: error });
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  heldByThisProcess.add(identity);
  // For people and tools that look: the holder's pid. The lock, not this line, decides.
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldByThisProcess.delete(identity);
    // Closing the only descriptor of the file releases the fcntl lock.
    closeSync(fd);
  };
}

function inUse(dataDir: string, path: string, owner: number | undefined): TributaryError {
  const who = owner === undefined ? 'another Tributary process' : `another Tributary process (pid ${owner})`;
  return new TributaryError('STORAGE_IO', `${dataDir} is in use by ${who}, which holds the lock on ${path}; stop it or choose another node.dataDir`, { path, owner });
}

/** The pid the holder wrote; read through a descriptor of this (refused) process, which holds no lock to lose. */
function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
