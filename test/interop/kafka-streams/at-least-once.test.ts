// The Kafka Streams application under at_least_once, with the daemon and then the
// application killed mid-run (killed-run.ts): nothing is lost (every reading joined and in
// its window, duplicates allowed), and the store restored from the changelog matches.
import { test } from 'uvu';
import { killedRun } from './killed-run.ts';
import { checkStreamsOutcome } from './outcome-checks.ts';

test('at_least_once: after the daemon and the application are SIGKILLed mid-run, no reading is lost and the restored state matches', async () => {
  const outcome = await killedRun('at_least_once');
  checkStreamsOutcome(outcome, 'at_least_once');
});

test.run();
