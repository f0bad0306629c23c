// Started the README's way inside the project (`npm start`, `npx tributary edge`), the
// daemon stops cleanly when npm is stopped with SIGTERM (or killed), releasing its ports
// and its lock; started without npm, it outlives the process that started it, as under
// systemd or with `tributary edge &` from a shell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { lockDataDir } from '../../edge/daemon/data-dir-lock.ts';
import { Daemon, type DaemonOptions } from '../helpers/daemon.ts';
import { requireProgram } from '../helpers/system-programs.ts';

/** Launchers are checked every 500 ms; a stop that has not come after this did not come. */
const STOP_DEADLINE_MS = 20_000;
/** Long enough for several launcher checks to have run, for the test that nothing stops. */
const SEVERAL_CHECKS_MS = 2_000;

/** The environment without npm's variables: what systemd or a shell gives the daemon. */
function environmentWithoutNpm(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
}

/** Resolves when every process writing to the daemon's stdout has exited (npm, its shell, the daemon). */
async function outputClosed(daemon: Daemon): Promise<void> {
  const stdout = daemon.process.stdout!;
  if (stdout.readableEnded || stdout.destroyed) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the daemon (pid ${daemon.pid}) still runs ${STOP_DEADLINE_MS} ms after npm exited`)), STOP_DEADLINE_MS);
  });
  try {
    await Promise.race([once(stdout, 'close'), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every port the daemon had binds again, and its data directory lock can be taken. */
async function assertReleased(daemon: Daemon): Promise<void> {
  for (const [name, port] of Object.entries(daemon.ports)) {
    const probe = createServer();
    await new Promise<void>((resolveListen, reject) => probe.once('error', (error) => reject(new Error(`${name} port ${port} still bound: ${error.message}`))).listen(port, '127.0.0.1', resolveListen));
    await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  }
  (await lockDataDir(join(daemon.dataDir, 'data')))();
}

async function stopsWithNpm(options: DaemonOptions, signal: NodeJS.Signals): Promise<void> {
  requireProgram(options.via === 'npx' ? 'npx' : 'npm');
  const daemon = await Daemon.start(options);
  try {
    assert.is.not(daemon.pid, daemon.process.pid, 'npm runs the daemon as a child process of its own');
    daemon.process.kill(signal);
    await daemon.exited;
    await outputClosed(daemon);
    const stopping = daemon.logLines.find((line) => line.msg === 'stopping');
    assert.ok(stopping, 'the daemon logged that it was stopping');
    assert.match(String(stopping!.launcherExited ?? stopping!.signal), /exited|SIGTERM/);
    assert.ok(daemon.logLines.some((line) => line.msg === 'stopped' && line.pid === daemon.pid), 'and that it stopped cleanly');
    await assertReleased(daemon);
  } finally {
    await daemon.cleanup();
  }
}

test('SIGTERM to `npm start` stops the daemon cleanly: ports and lock released', async () => {
  await stopsWithNpm({ via: 'npm start' }, 'SIGTERM');
});

test('SIGTERM to `npx tributary edge` stops the daemon cleanly', async () => {
  await stopsWithNpm({ via: 'npx' }, 'SIGTERM');
});

test('`npm start` killed with SIGKILL (its shell survives) still stops the daemon', async () => {
  await stopsWithNpm({ via: 'npm start' }, 'SIGKILL');
});

test('`npx tributary central` stops with npm too', async () => {
  await stopsWithNpm({ via: 'npx', subcommand: 'central' }, 'SIGTERM');
});

test('without npm, the daemon outlives the shell that started it in the background', async () => {
  // `sh -c 'tributary edge … &'`, whose shell exits (on SIGUSR1, once the daemon is ready)
  // and leaves the daemon to init.
  const env = environmentWithoutNpm();
  const daemon = await Daemon.start({ env, wrapper: ['sh', '-c', 'trap "exit 0" USR1; "$@" & while :; do sleep 0.1; done', 'sh'] });
  try {
    daemon.process.kill('SIGUSR1');
    await daemon.exited;
    assert.is.not(daemon.pid, daemon.process.pid);
    await new Promise((resolveWait) => setTimeout(resolveWait, SEVERAL_CHECKS_MS));
    const health = await fetch(`http://127.0.0.1:${daemon.ports.http}/health`);
    assert.is(health.status, 200, 'still serving after its parent exited');
    assert.not.ok(daemon.logLines.some((line) => line.msg === 'stopping'), 'did not stop');
    process.kill(daemon.pid, 'SIGTERM');
    await outputClosed(daemon);
    assert.ok(daemon.logLines.some((line) => line.msg === 'stopping' && line.signal === 'SIGTERM'));
  } finally {
    await daemon.cleanup();
  }
});

test.run();
