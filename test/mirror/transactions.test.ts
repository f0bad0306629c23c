// The mirror copies committed data only (KIP-98): a librdkafka transactional producer
// commits, aborts, commits again and leaves a last transaction open on the edge; the central
// receives the committed records once each and in order, nothing of the aborted transaction,
// and nothing of the open one until it commits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../helpers/daemon.ts';
import { RunningScenario, runScenario } from '../edge/kafka/transactions/support/librdkafka.ts';
import { freePort, mirrorThrough } from './cluster.ts';

const EDGE = 'edge-tx';

test('committed transactions reach the central, aborted and open ones do not', async () => {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  let edge: Daemon | undefined;
  let open: RunningScenario | undefined;
  try {
    edge = await Daemon.start({ config: { node: { id: EDGE }, topics: { overrides: { readings: { partitions: 1 } } }, mirror: mirrorThrough(centralPort, centralPort, { topics: { include: ['readings'] } }) } });
    const bootstrap = `127.0.0.1:${edge.ports.kafka}`;
    const centralBootstrap = `127.0.0.1:${centralPort}`;
    await runScenario(bootstrap, 'produce', 'readings', 'tx-mirror', 'COMMIT', '3', 'kept');
    await runScenario(bootstrap, 'produce', 'readings', 'tx-mirror', 'ABORT', '3', 'dropped');
    await runScenario(bootstrap, 'produce', 'readings', 'tx-mirror', 'COMMIT', '2', 'later');
    open = new RunningScenario(bootstrap, 'open', ['readings', 'tx-mirror-open', '2']);
    await open.waitFor((line) => line.open === 2, 'the open transaction\'s records written');
    await runScenario(bootstrap, 'produce', 'readings', 'tx-mirror', 'COMMIT', '1', 'after-open');
    // The central sees what the mirror wrote, as any consumer would (read_uncommitted: the mirror's own batches are not transactional).
    const seen = await runScenario<{ values: string[] }>(centralBootstrap, 'consume', `${EDGE}.readings`, 'read_uncommitted', '5');
    assert.equal(seen.values, ['kept-0', 'kept-1', 'kept-2', 'later-0', 'later-1'], 'committed records once each, in order; the aborted ones and everything from the open transaction on are held back');
    await open.kill();
    // The killed producer's transaction is aborted once its timeout runs out; a new instance of its id aborts it at once.
    await runScenario(bootstrap, 'produce', 'readings', 'tx-mirror-open', 'COMMIT', '1', 'successor');
    const after = await runScenario<{ values: string[] }>(centralBootstrap, 'consume', `${EDGE}.readings`, 'read_uncommitted', '7');
    assert.equal(after.values, ['kept-0', 'kept-1', 'kept-2', 'later-0', 'later-1', 'after-open-0', 'successor-0']);
  } finally {
    await open?.kill();
    await edge?.cleanup();
    await central.cleanup();
  }
});

test.run();
