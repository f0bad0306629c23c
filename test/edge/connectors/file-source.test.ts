// The file source inside `tributary edge`, tailing real files: lines become records once
// each and in order through rotation by rename and by truncation, a file that appears
// late, and a SIGKILL of the daemon while lines keep coming (with a rotation while the
// daemon is down): exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';
import { connectorMetric, eventually } from './support/records.ts';

function source(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { connectors: [{ name: 'app-log', type: 'file-source', path, to: 'app-lines', pollMs: 20, ...extra }] };
}

async function lines(daemon: Daemon): Promise<string[]> {
  const stored = await readPartition(daemon.ports.kafka!, 'app-lines', 0).catch(() => ({ records: [] }));
  return stored.records.map((record) => record.value!.toString('utf8'));
}

function until(daemon: Daemon, count: number, what: string): Promise<string[]> {
  return eventually(() => lines(daemon), (found) => found.length >= count, what);
}

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, index) => `line ${from + index}`);

test('lines are records keyed by the connector; rename rotation and copytruncate are followed, each line once', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-source-'));
  const path = join(directory, 'app.log');
  // Written before the daemon starts, with a Windows line end and a line without its newline yet.
  writeFileSync(path, 'line 0\nline 1\r\nline 2');
  const daemon = await Daemon.start({ config: source(path) });
  try {
    assert.equal(await until(daemon, 2, 'the complete lines'), ['line 0', 'line 1']);
    appendFileSync(path, ' finished\n');
    assert.equal((await until(daemon, 3, 'the finished line'))[2], 'line 2 finished');
    const stored = await readPartition(daemon.ports.kafka!, 'app-lines', 0);
    assert.is(stored.records[0]!.key!.toString(), 'app-log');

    // logrotate "create": renamed away; the writer finishes a line in the old file, then a new file begins.
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, 'line 3 (old file, after the rename)\n');
    writeFileSync(path, 'line 4 (new file)\n');
    assert.equal((await until(daemon, 5, 'both files')).slice(3), ['line 3 (old file, after the rename)', 'line 4 (new file)']);

    // logrotate "copytruncate": copied away, then cut to nothing in place.
    appendFileSync(path, 'line 5\n');
    await until(daemon, 6, 'line 5');
    copyFileSync(path, `${path}.2`);
    truncateSync(path, 0);
    appendFileSync(path, 'line 6 (after truncation)\n');
    assert.equal((await until(daemon, 7, 'the line after truncation')).slice(5), ['line 5', 'line 6 (after truncation)']);
    assert.is((await lines(daemon)).length, 7, 'nothing read twice');
    assert.is(await connectorMetric(daemon, 'tributary_connector_records_total', 'app-log'), 7);
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a file that does not exist yet is waited for; a line longer than maxLineBytes is skipped and counted', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-source-'));
  const path = join(directory, 'late.log');
  const daemon = await Daemon.start({ config: source(path, { maxLineBytes: 64 }) });
  try {
    await daemon.logLine((line) => line.msg === 'the file to tail does not exist yet; waiting for it', 'the connector says it waits');
    writeFileSync(path, `short\n${'x'.repeat(200)}\nafter\n`);
    assert.equal(await until(daemon, 2, 'the lines around the long one'), ['short', 'after']);
    assert.is(await connectorMetric(daemon, 'tributary_connector_errors_total', 'app-log', { kind: 'line-too-long' }), 1);
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('SIGKILL while lines keep coming, and a rotation while the daemon is down: every line exactly once, in order', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-source-'));
  const path = join(directory, 'app.log');
  writeFileSync(path, '');
  const config = source(path);
  let daemon = await Daemon.start({ config });
  try {
    // A writer appends in small bursts; the daemon is killed in the middle of them.
    let written = 0;
    const write = (count: number): void => {
      appendFileSync(path, numbered(written, written + count).map((line) => `${line}\n`).join(''));
      written += count;
    };
    for (let burst = 0; burst < 20; burst += 1) write(100);
    await until(daemon, 500, 'some lines appended before the crash');
    for (let burst = 0; burst < 10; burst += 1) write(100);
    await daemon.kill();

    // While the daemon is down: more lines in the old file, then a rotation and a new file.
    write(100);
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    write(100);
    daemon = await daemon.restart({ config });
    const found = await until(daemon, written, 'every line after the restart');
    assert.is(written, 3200);
    assert.equal(found, numbered(0, written), 'each line once and in order');
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
