// The daemon writes Node.js's compile cache once it is ready, not only at a clean exit: a
// device that loses power never exits cleanly, and without a cache every start loads the
// type-stripping compiler again and holds about 25 MB more while idle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';

/** Every file under a directory, with its size. */
function filesUnder(directory: string): { path: string; bytes: number }[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((name) => join(directory, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: statSync(path).size }));
}

test('a daemon killed after ready leaves a compile cache for its next start', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'tributary-compile-cache-'));
  const daemon = await Daemon.start({ env: { ...process.env, NODE_COMPILE_CACHE: cache }, config: { log: { level: 'warn' } } });
  try {
    await daemon.kill();
    const files = filesUnder(cache);
    assert.ok(files.some((file) => file.bytes > 0), `the compile cache in ${cache} is empty after a SIGKILL: it was not written at ready`);
  } finally {
    await daemon.cleanup();
    rmSync(cache, { recursive: true, force: true });
  }
});

test.run();
