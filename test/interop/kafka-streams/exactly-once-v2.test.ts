// The Kafka Streams application under exactly_once_v2, with the daemon and then the
// application killed mid-run (killed-run.ts): read with read_committed, every reading is
// joined once and counted once in its window, and the store restored from the changelog
// matches.
import { test } from 'uvu';
import { killedRun } from './killed-run.ts';
import { checkStreamsOutcome } from './outcome-checks.ts';

test('exactly_once_v2: after the daemon and the application are SIGKILLed mid-run, every reading is reflected exactly once and the restored state matches', async () => {
  const outcome = await killedRun('exactly_once_v2');
  checkStreamsOutcome(outcome, 'exactly_once_v2');
});

test.run();
