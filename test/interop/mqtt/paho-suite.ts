// Runs the Eclipse paho interoperability suites against the real daemon: client_test.py
// (MQTT 3.1.1, 10 tests) and client_test5.py (MQTT 5, 27 tests), from a local copy of
// eclipse/paho.mqtt.testing. The suites are on no package registry, so CI cannot fetch
// them; the behaviours they check are tested in CI by test/edge/mqtt/conformance.test.ts
// and test/edge/mqtt/mqtt5-*.test.ts. Run it where a copy is at hand:
//
//   PAHO_MQTT_TESTING_DIR=~/src/paho.mqtt.testing npm run test:paho-suite
//
// The daemon runs with what the suites expect of a broker: subscriptions to
// test/nosubscribe refused, and a Server Keep Alive of 60 s for a client asking 120.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { ClientProcess } from './support/client-process.ts';

/** A test still running after this is reported as timed out (the longest, will delay, takes about 20 s). */
const TEST_TIMEOUT_SECONDS = 90;
/** Bound on a whole suite: 27 tests of at most 20 s each, with room for a loaded machine. */
const SUITE_TIMEOUT_MS = 15 * 60_000;

const directory = process.env.PAHO_MQTT_TESTING_DIR;
if (directory === undefined || !existsSync(join(directory, 'interoperability', 'client_test5.py'))) {
  console.error('paho-suite: set PAHO_MQTT_TESTING_DIR to a copy of eclipse/paho.mqtt.testing (its interoperability/client_test5.py is not found); it is on no package registry');
  process.exit(2);
}
const suiteDir = join(directory, 'interoperability');
let passed = 0;
let failed = 0;
for (const suite of ['client_test', 'client_test5']) {
  const daemon = await Daemon.start({ config: { listeners: { mqttWs: { enabled: false } }, mqtt: { denySubscribe: ['test/nosubscribe'], limits: { maxKeepAliveSeconds: 60 } } } });
  try {
    const run = new ClientProcess('python3', [resolve(import.meta.dirname, 'paho_suite.py'), suiteDir, suite, String(daemon.ports.mqtt), String(TEST_TIMEOUT_SECONDS)], undefined, false, SUITE_TIMEOUT_MS);
    let expected: string[] = [];
    const seen = new Set<string>();
    for (let line = await run.nextLine(); line !== null; line = await run.nextLine()) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as { tests?: string[] };
      if (parsed.tests !== undefined) {
        expected = parsed.tests;
        continue;
      }
      const result = parsed as { test: string; result: string; seconds: number; detail: string };
      seen.add(result.test);
      if (result.result === 'ok') passed++;
      else failed++;
      console.log(`${result.result === 'ok' ? 'ok  ' : 'FAIL'} ${suite}.${result.test} (${result.result}, ${result.seconds} s)${result.detail ? `\n${result.detail}` : ''}`);
    }
    await run.exited;
    // A run that ended early (a time-out stops it) leaves its remaining tests unrun: failures too.
    for (const name of expected.filter((test) => !seen.has(test))) {
      failed++;
      console.log(`FAIL ${suite}.${name} (not run)`);
    }
    if (expected.length === 0) {
      failed++;
      console.log(`FAIL ${suite}: the suite did not start\n${run.stderr}`);
    }
  } finally {
    await daemon.cleanup();
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
