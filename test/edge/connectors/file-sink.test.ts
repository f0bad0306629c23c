// The file sink inside `tributary edge`, writing real files: a line per record, rotation
// by size with keepFiles, a directory that is missing for a while, and exactly once
// through a SIGKILL while records keep coming, through lines written past the committed
// length (a crash between the write and the commit) and through a rotation cut short.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { connectorMetric, connectorStatus, eventually, produce } from './support/records.ts';

function sink(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { connectors: [{ name: 'archive', type: 'file-sink', from: 'events', path, retryBackoffMinMs: 50, retryBackoffMaxMs: 400, ...extra }] };
}

/** Every line the sink wrote, rotated files first (oldest generation first), then the current file. */
function writtenLines(path: string): string[] {
  const directory = join(path, '..');
  const name = path.split('/').pop()!;
  const rotated = readdirSync(directory).filter((entry) => entry.startsWith(`${name}.`)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const files = [...rotated.map((entry) => join(directory, entry)), ...(existsSync(path) ? [path] : [])];
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((line, index, all) => index < all.length - 1 || line !== ''));
}

const events = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => ({ key: `k${(from + index) % 4}`, value: `event ${from + index}` }));
const eventValues = (from: number, to: number) => events(from, to).map((record) => record.value);

test('records become lines; json format carries coordinates; the file rotates by size and keeps keepFiles', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-sink-'));
  const path = join(directory, 'events.log');
  const jsonPath = join(directory, 'events.jsonl');
  const daemon = await Daemon.start({ config: { connectors: [
    { name: 'archive', type: 'file-sink', from: 'events', path, rotateBytes: 200, keepFiles: 2 },
    { name: 'archive-json', type: 'file-sink', from: 'events', path: jsonPath, format: 'json', rotateBytes: 0 },
  ] } });
  try {
    for (let round = 0; round < 10; round += 1) await produce(daemon, 'events', events(round * 10, round * 10 + 10));
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'archive'), (lag) => lag === 0, 'archive caught up');
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'archive-json'), (lag) => lag === 0, 'archive-json caught up');
    // A rotation (rename, commit, deleting the oldest) follows the commit that ends the lag.
    const rotatedFiles = () => readdirSync(directory).filter((entry) => /^events\.log\.\d+$/.test(entry));
    await eventually(rotatedFiles, (rotated) => rotated.length === 2, 'keepFiles: 2 rotated files kept');
    const kept = writtenLines(path);
    // The oldest rotated files are gone; what is kept is the newest records, in order, ending with the last.
    assert.equal(kept, eventValues(100 - kept.length, 100));
    assert.ok(kept.length < 100);
    const json = readFileSync(jsonPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { topic: string; partition: number; offset: number; key: string; value: string });
    assert.is(json.length, 100);
    assert.equal(json.slice(0, 2).map(({ topic, partition, offset, key, value }) => ({ topic, partition, offset, key, value })), [
      { topic: 'events', partition: 0, offset: 0, key: 'k0', value: 'event 0' },
      { topic: 'events', partition: 0, offset: 1, key: 'k1', value: 'event 1' },
    ]);
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a missing directory is retried with backoff and the records are written once it exists', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-sink-'));
  const path = join(directory, 'later', 'events.log');
  const daemon = await Daemon.start({ config: sink(path) });
  try {
    await produce(daemon, 'events', events(0, 5));
    const status = await eventually(() => connectorStatus(daemon, 'archive'), (current) => current.state === 'retrying', 'the sink reports it cannot open the file');
    assert.match(status.lastError!.message, /ENOENT/);
    mkdirSync(join(directory, 'later'));
    await eventually(() => (existsSync(path) ? writtenLines(path) : []), (lines) => lines.length === 5, 'the records written');
    assert.equal(writtenLines(path), eventValues(0, 5));
    assert.ok((await connectorMetric(daemon, 'tributary_connector_errors_total', 'archive', { kind: 'connect' }))! >= 1);
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('SIGKILL in the middle of writing, lines past the committed length, a rotation cut short: every record once, in order', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-file-sink-'));
  const path = join(directory, 'events.log');
  const config = sink(path, { rotateBytes: 4096, keepFiles: 1000 });
  let daemon = await Daemon.start({ config });
  try {
    // Written in batches of up to a thousand lines; the daemon is killed once some are in the file.
    let produced = 3000;
    await produce(daemon, 'events', events(0, produced));
    await eventually(() => connectorMetric(daemon, 'tributary_connector_records_total', 'archive'), (count) => (count ?? 0) >= 500, 'some records written before the crash');
    await daemon.kill();

    // What a crash between a write and its commit leaves: lines the committed length does not cover.
    appendFileSync(path, 'half-written line that the commit does not cover\nand another\n');
    daemon = await daemon.restart({ config });
    await daemon.logLine((line) => line.msg === 'cutting the file back to its committed length: the records past it are written again', 'the sink cuts the uncommitted lines');
    await produce(daemon, 'events', events(produced, produced + 500));
    produced += 500;
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'archive'), (lag) => lag === 0, 'caught up after the restart');
    await daemon.stop();

    // What a crash between a rotation's rename and its commit leaves: the file renamed to the generation still committed.
    const generations = readdirSync(directory).map((entry) => /^events\.log\.(\d+)$/.exec(entry)?.[1]).filter((generation) => generation !== undefined).map(Number);
    const current = Math.max(0, ...generations) + 1;
    renameSync(path, `${path}.${current}`);
    daemon = await daemon.restart({ config });
    await produce(daemon, 'events', events(produced, produced + 100));
    produced += 100;
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'archive'), (lag) => lag === 0, 'caught up after the interrupted rotation');
    assert.equal(writtenLines(path), eventValues(0, produced), 'each record once, in order, across every file');
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
