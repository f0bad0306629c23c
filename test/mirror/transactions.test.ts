// The mirror copies committed data only (KIP-98): a librdkafka transactional producer
// commits, aborts, commits again and leaves a last transaction open on the edge; the central
// receives the committed records once each and in order, nothing of the aborted transaction,
// and nothing of the open one until it commits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../helpers/daemon.ts';
import { RunningScenario, runScenario } from '../edge/kafka/transactions/support/librdkafka.ts';
import type { MirrorReport } from '../../shared/mirror-report.ts';
import { freePort, mirrorThrough, waitFor } from './cluster.ts';

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

test('a standalone mirror counts its lag to the last stable offset: an open transaction is not backlog it could send', async () => {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const kafkaPort = await freePort();
  const mirrorSection = mirrorThrough(centralPort, centralPort, { embedded: false, source: { bootstrap: [`127.0.0.1:${kafkaPort}`] }, http: { port: 0 }, topics: { include: ['readings'] } });
  let edge: Daemon | undefined;
  let mirror: Daemon | undefined;
  let open: RunningScenario | undefined;
  try {
    edge = await Daemon.start({ config: { node: { id: EDGE }, listeners: { kafka: { port: kafkaPort } }, topics: { overrides: { readings: { partitions: 1 } } }, mirror: mirrorSection } });
    const bootstrap = `127.0.0.1:${kafkaPort}`;
    // Offsets 0-2 committed (3 is their marker), 4-5 in a transaction left open.
    await runScenario(bootstrap, 'produce', 'readings', 'tx-lag', 'COMMIT', '3', 'kept');
    open = new RunningScenario(bootstrap, 'open', ['readings', 'tx-lag-open', '2']);
    await open.waitFor((line) => line.open === 2, 'the open transaction\'s records written');
    // Started only now, so that every read it makes sees the open transaction.
    mirror = await Daemon.start({ subcommand: 'mirror', config: { node: { id: EDGE }, mirror: mirrorSection } });
    const mirrorHttp = mirror.ports.http;
    const report = await waitFor('the committed records delivered', async () => {
      const answer = (await (await fetch(`http://127.0.0.1:${mirrorHttp}/api/mirror`)).json()) as MirrorReport;
      return answer.partitions.find((row) => row.topic === 'readings' && row.deliveredOffset === '4') === undefined ? undefined : answer;
    });
    assert.equal(report.partitions.map((row) => [row.logEndOffset, row.backlogRecords]), [['4', 0]], 'the end is the last stable offset 4, not the high watermark 6');
    assert.is(report.backlogRecords, 0);
    const lag = (await (await fetch(`http://127.0.0.1:${mirrorHttp}/metrics`)).text()).match(/^tributary_mirror_lag_records\{[^}]*topic="readings"[^}]*\} (\S+)$/m);
    assert.is(lag?.[1], '0', 'the lag metric counts to the last stable offset too');
  } finally {
    await open?.kill();
    await mirror?.cleanup();
    await edge?.cleanup();
    await central.cleanup();
  }
});

test.run();
