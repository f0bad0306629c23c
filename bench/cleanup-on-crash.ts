// A benchmark runs brokers and mirrors as processes of their own. If it crashes (an exception
// nothing awaited) or is told to stop (SIGTERM from a script, which unlike a terminal's Ctrl-C
// reaches only this process), they must not keep running behind it with their ports, memory
// and files: each one registers how it is stopped while it runs.
const cleanups = new Set<() => Promise<unknown>>();
let installed = false;

function stopEverything(reason: unknown): void {
  console.error(reason);
  void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).finally(() => process.exit(1));
}

/** Runs `cleanup` if the benchmark crashes or is stopped; the returned function forgets it (call it once the process is stopped the normal way). */
export function cleanUpOnCrash(cleanup: () => Promise<unknown>): () => void {
  if (!installed) {
    installed = true;
    process.once('uncaughtException', stopEverything);
    process.once('unhandledRejection', stopEverything);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopEverything(`stopped by ${signal}`));
  }
  cleanups.add(cleanup);
  return () => { cleanups.delete(cleanup); };
}
