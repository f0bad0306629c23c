// One daemon per data directory: two processes appending to the same segments would
// corrupt them. The lock file holds the owner's pid; a lock left by a process that died
// (SIGKILL, power cut) is taken over, since no process holds it any more.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../shared/errors.ts';

const LOCK_FILE = 'tributary.lock';

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new TributaryError('STORAGE_IO', `${path}: cannot create the data directory lock: ${(error as Error).message}`, { path }, { cause: error });
      }
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new TributaryError('STORAGE_IO', `${dataDir} is in use by another Tributary process (pid ${owner}); stop it or choose another node.dataDir`, { path, owner });
      }
      rmSync(path, { force: true });
    }
  }
  throw new TributaryError('STORAGE_IO', `${path}: could not take the data directory lock`, { path });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
