// The README's client matrix is rendered from recorded outcomes: rows merge the files of
// one client, a failure anywhere shows, a missing result shows "not run", results from
// another commit are marked stale, and a test file that recorded nothing still has a row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMatrix } from '../../scripts/client-matrix.ts';
import type { ClientResultsFile } from '../helpers/client-results.ts';

const HEAD = '0123456789ab';

function resultsFile(fields: Partial<ClientResultsFile>): ClientResultsFile {
  return { client: 'franz-go', version: 'v1.22.3', distribution: 'Go module proxy', testFile: 'test/interop/kafka/franz-go.test.ts', commit: HEAD, recordedAt: '2026-12-06T10:00:00.000Z', scenarios: {}, ...fields };
}

function rowOf(matrix: string, start: string): string[] {
  const line = matrix.split('\n').find((candidate) => candidate.startsWith(`| ${start} `));
  assert.ok(line, `a row for ${start} in\n${matrix}`);
  return line.split(' | ').map((cell) => cell.replace(/^\| | \|$/g, ''));
}

test('the files of one client merge into one row; a failure in either shows; a scenario nobody ran is "not run"', () => {
  const matrix = renderMatrix([
    resultsFile({ scenarios: { 'codec-none': { outcome: 'pass' }, tls: { outcome: 'pass' } } }),
    resultsFile({ testFile: 'test/other.test.ts', scenarios: { tls: { outcome: 'fail', note: 'handshake refused' }, 'idempotent-link-cuts': { outcome: 'unsupported', note: 'no idempotent producer' } } }),
  ], [], HEAD);
  const row = rowOf(matrix, 'franz-go');
  assert.equal(row.slice(0, 4), ['franz-go', 'v1.22.3', 'Go module proxy', '✅']);
  assert.is(row[4], 'not run', 'gzip was not run');
  assert.is(row[9], 'n/a', 'idempotent producer unsupported');
  assert.is(row[11], '❌', 'TLS failed in one of the files');
  assert.match(matrix, /franz-go v1\.22\.3 \(Go module proxy\), TLS: failed: handshake refused/);
  assert.match(matrix, /idempotent producer, cut connections: no idempotent producer/);
  assert.not.match(row.at(-1)!, /stale/);
});

test('results from another commit are marked stale with that commit; a dirty tree of the same commit is not', () => {
  const stale = rowOf(renderMatrix([resultsFile({ commit: 'fedcba987654' })], [], HEAD), 'franz-go');
  assert.match(stale.at(-1)!, /fedcba987654 ⚠ stale/);
  const dirty = rowOf(renderMatrix([resultsFile({ commit: `${HEAD}-dirty` })], [], HEAD), 'franz-go');
  assert.not.match(dirty.at(-1)!, /stale/);
});

test('a test file that records outcomes but left none has a row of "not run"', () => {
  const matrix = renderMatrix([resultsFile({})], ['test/interop/kafka/franz-go.test.ts', 'test/interop/kafka/sarama.test.ts'], HEAD);
  const row = rowOf(matrix, '`test/interop/kafka/sarama.test.ts`');
  assert.ok(row.slice(3, -1).every((cell) => cell === 'not run'), row.join(' | '));
  assert.is(matrix.split('\n').filter((line) => line.includes('franz-go.test.ts')).length, 0, 'the measured file has its client row only');
});

test.run();
