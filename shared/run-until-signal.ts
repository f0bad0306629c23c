// Runs a daemon until SIGTERM or SIGINT (or, under npm, until npm exits: launcher-watch.ts),
// then closes it and exits 0; a second signal, or a close that takes too long, exits at
// once with 1.
import type { Logger } from './logger.ts';
import { watchLauncher } from './launcher-watch.ts';

/** A clean stop flushes the log and closes listeners; past this something is stuck. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

export async function runUntilSignal(logger: Logger, start: () => Promise<{ close(): Promise<void> }>): Promise<number> {
  // Listen before starting: a signal that arrives while the daemon starts (it may already
  // have reported ready) must still stop it cleanly rather than kill it.
  const signal = new Promise<{ signal: NodeJS.Signals }>((resolve) => {
    process.once('SIGTERM', () => resolve({ signal: 'SIGTERM' }));
    process.once('SIGINT', () => resolve({ signal: 'SIGINT' }));
  });
  const launcher = watchLauncher();
  const stopRequested = launcher === undefined ? signal : Promise.race([signal, launcher.gone.then((launcherExited) => ({ launcherExited }))]);
  let daemon: { close(): Promise<void> };
  try {
    daemon = await start();
  } catch (error) {
    launcher?.stop();
    throw error;
  }
  const reason = await stopRequested;
  launcher?.stop();
  logger.info(reason, 'stopping');
  const forceExit = setTimeout(() => {
    logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'stop took too long; exiting');
    logger.flush();
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  forceExit.unref();
  const again = (): never => process.exit(1);
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  await daemon.close();
  clearTimeout(forceExit);
  logger.info('stopped');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return 0;
}
