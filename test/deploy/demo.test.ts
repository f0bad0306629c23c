// `npm run demo` with a small fleet: everything starts, records go from simulated devices
// through the edges and their fault-injecting links to the central, the consoles answer,
// and one SIGINT (Ctrl-C) stops every part and removes the demo's files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const DEMO = resolve(import.meta.dirname, '../../scripts/demo.ts');
/** Three daemons, two links and two simulators start on a loaded machine. */
const READY_TIMEOUT_MS = 120_000;
/** The mirror's first delivery follows its first connection through the link. */
const DELIVERY_TIMEOUT_MS = 60_000;
const DELIVERY_POLL_MS = 250;

interface Ready {
  event: 'ready';
  central: { kafka: string; health: string };
  edges: { id: string; console: string }[];
  fleet: string | null;
  directory: string;
}

test('the demo starts, mirrors device readings to the central, and stops cleanly on Ctrl-C', async () => {
  const child = spawn(process.execPath, [DEMO, '--devices', '4', '--calm', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    const ready = await new Promise<Ready>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo not ready within ${READY_TIMEOUT_MS} ms\n${stderr}`)), READY_TIMEOUT_MS);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const event = JSON.parse(line) as Ready;
        if (event.event === 'ready') { clearTimeout(timer); resolveReady(event); }
      });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`demo exited (${code}) before ready\n${stderr}`)); });
    });
    assert.equal(ready.edges.map((edge) => edge.id), ['edge-1', 'edge-2']);
    assert.is((await fetch(ready.central.health)).status, 200);
    assert.ok(ready.fleet, 'the fleet view runs');
    assert.is((await fetch(ready.fleet)).status, 200);
    for (const edge of ready.edges) {
      const page = await fetch(edge.console);
      assert.is(page.status, 200, edge.console);
      assert.match(await page.text(), '<title>Tributary console</title>');
    }
    // Both mirrors deliver through their links.
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    for (const edge of ready.edges) {
      for (;;) {
        const mirror = await (await fetch(new URL('/api/mirror', edge.console))).json() as { deliveredRecordsTotal?: number };
        if ((mirror.deliveredRecordsTotal ?? 0) > 0) break;
        assert.ok(Date.now() < deadline, `${edge.id}'s mirror delivered nothing within ${DELIVERY_TIMEOUT_MS} ms`);
        await new Promise((resolveWait) => setTimeout(resolveWait, DELIVERY_POLL_MS));
      }
    }
    assert.ok(existsSync(ready.directory));

    child.kill('SIGINT');
    assert.is(await exited, 0, stderr);
    assert.not.ok(existsSync(ready.directory), 'the demo removes its files');
    for (const url of [ready.central.health, ...ready.edges.map((edge) => edge.console), ...(ready.fleet ? [ready.fleet] : [])]) {
      assert.is(await fetch(url).then(() => 'answered', () => 'refused'), 'refused', `${url} is stopped`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    // A demo that failed keeps its files for the logs and names the directory.
    const kept = /data and logs kept in (\S+)/.exec(stderr)?.[1];
    if (kept) rmSync(kept, { recursive: true, force: true });
  }
});

test.run();
