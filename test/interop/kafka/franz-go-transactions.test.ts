// franz-go's GroupTransactSession (go/franz-go-transactions) against the real daemon: a
// consume-transform-produce loop whose first transaction is aborted on purpose, so the
// session rewinds to its committed offsets; every input reaches the output exactly once
// for read_committed consumers. (franz-go drops an aborted transaction's records it has
// not sent yet, so what the log holds of that attempt depends on timing.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { GO_PROGRAMS, interopClientPaths, isPrepared, PREPARE_COMMAND } from '../../../scripts/interop-clients.ts';
import { runScenario } from '../../edge/kafka/transactions/support/librdkafka.ts';

const INPUTS = 60;
/** The program's own bound is 90 s; this covers its start on a loaded machine. */
const RUN_TIMEOUT_MS = 120_000;

test('GroupTransactSession: an aborted transaction is redone, and every input is in the output once', async () => {
  const { goPrograms } = interopClientPaths();
  if (!isPrepared(goPrograms)) throw new Error(`the Go client programs (${GO_PROGRAMS.join(', ')}) are not built for the sources as they are: run \`${PREPARE_COMMAND}\` (needs Go 1.26 and the Go module proxy)`);
  const daemon = await Daemon.start({ config: { topics: { defaults: { partitions: 1 } } } });
  try {
    const bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
    assert.equal(await runScenario(bootstrap, 'seed', 'franz-in', String(INPUTS)), { seeded: INPUTS });
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(join(goPrograms, 'franz-go-transactions'), [bootstrap, 'franz-in', 'franz-out', 'franz-group', 'tx-franz', String(INPUTS)], { timeout: RUN_TIMEOUT_MS, encoding: 'utf8' }, (error, out, err) => (error ? reject(new Error(`franz-go-transactions failed: ${error.message}\n${out}\n${err}`)) : resolve(out)));
    });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines[0]!.committed, false, 'the first transaction was aborted');
    assert.equal(lines.at(-1), { done: INPUTS, transactions: lines.length - 1 });
    const { values } = await runScenario<{ values: string[] }>(bootstrap, 'consume', 'franz-out', 'read_committed', String(INPUTS));
    assert.equal([...values].sort(), Array.from({ length: INPUTS }, (_, index) => `IN-${index}`).sort(), 'every input once');
  } finally {
    await daemon.cleanup();
  }
});

test.run();
