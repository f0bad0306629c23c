// The data directory lock is the kernel's, not a pid in a file: a live daemon keeps a
// second one out, and nothing else does (a pid reused after a reboot, a daemon killed
// with SIGKILL, even one that is still a zombie).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTributaryError } from '../../../shared/errors.ts';
import { LOCK_FILE, lockDataDir } from '../../../edge/daemon/data-dir-lock.ts';
import { Daemon } from '../../helpers/daemon.ts';

/** A parent that never reaps its children: the daemon it starts stays a zombie once killed. */
const NEVER_REAPS = ['sh', '-c', '"$@" & exec sleep 600', 'sh'];

function lockPath(daemon: Daemon): string {
  return join(daemon.dataDir, 'data', LOCK_FILE);
}

function processState(pid: number): string | undefined {
  try {
    // The state follows the command name, which is in parentheses: "pid (comm) S ...".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

test('within one process, a held directory is refused until released', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
  try {
    const release = await lockDataDir(dataDir);
    const refused = await lockDataDir(dataDir).then(() => undefined, (error: unknown) => error);
    assert.ok(isTributaryError(refused, 'STORAGE_IO'), 'second lock refused');
    assert.match((refused as Error).message, new RegExp(`in use by another Tributary process \\(pid ${process.pid}\\)`));
    release();
    const again = await lockDataDir(dataDir);
    again();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a live daemon refuses a second one, naming its pid and the lock file', async () => {
  const first = await Daemon.start();
  try {
    const pid = first.logLines.find((line) => line.event === 'ready')!.pid as number;
    const error = await Daemon.start({ dataDir: first.dataDir }).then(() => undefined, (failure: Error) => failure);
    assert.ok(error, 'second start fails');
    assert.match(error!.message, new RegExp(`in use by another Tributary process \\(pid ${pid}\\), which holds the lock on \\S+${LOCK_FILE}`));
    assert.match(error!.message, /exited \(1\) before ready/);
  } finally {
    await first.cleanup();
  }
});

test('a lock file naming a live process that holds no lock (pid reused after a reboot) does not stop the start', async () => {
  const first = await Daemon.start();
  await first.stop();
  // pid 1 and this test's own pid are alive for certain, and neither holds the lock.
  for (const livePid of [1, process.pid]) {
    writeFileSync(lockPath(first), `${livePid}\n`);
    const daemon = await first.restart();
    try {
      const ready = daemon.logLines.find((line) => line.event === 'ready')!;
      assert.is(readFileSync(lockPath(daemon), 'utf8'), `${ready.pid}\n`, 'the new holder writes its pid');
    } finally {
      await daemon.stop();
    }
  }
  await first.cleanup();
});

test('a daemon killed with SIGKILL leaves its directory free at once, even while it is still a zombie', async () => {
  const first = await Daemon.start({ wrapper: NEVER_REAPS });
  const pid = first.logLines.find((line) => line.event === 'ready')!.pid as number;
  process.kill(pid, 'SIGKILL');
  // Wait for the kernel to finish the kill; the parent (sleep) never collects it.
  const DEADLINE = Date.now() + 10_000;
  while (processState(pid) !== 'Z' && Date.now() < DEADLINE) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(processState(pid), 'Z', 'the killed daemon is a zombie');
  const second = await first.restart();
  try {
    assert.ok(second.ports.kafka! > 0, 'the second daemon started');
    assert.is(processState(pid), 'Z', 'while the first is still a zombie');
  } finally {
    await second.cleanup();
    await first.cleanup();
  }
});

test('tributary central locks its data directory the same way', async () => {
  const first = await Daemon.start({ subcommand: 'central' });
  try {
    const error = await Daemon.start({ subcommand: 'central', dataDir: first.dataDir }).then(() => undefined, (failure: Error) => failure);
    assert.match(error?.message ?? '', /in use by another Tributary process/);
    await first.stop();
    writeFileSync(lockPath(first), '1\n');
    const second = await first.restart({ subcommand: 'central' });
    await second.cleanup();
  } finally {
    await first.cleanup();
  }
});

test('an unusable lock file is reported with its path', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
  try {
    // A directory where the lock file belongs cannot be opened for writing.
    mkdirSync(join(dataDir, LOCK_FILE));
    const error = await lockDataDir(dataDir).then(() => undefined, (failure: unknown) => failure);
    assert.ok(isTributaryError(error, 'STORAGE_IO'));
    assert.match((error as Error).message, new RegExp(`${LOCK_FILE}: cannot open the data directory lock: EISDIR`));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
