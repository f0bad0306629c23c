// The snappy and lz4 packages are native addons of about 2.5 MB each once loaded: a process
// that reads and writes record batches loads them only when a batch of that codec comes.
// Each case runs in a child process of its own, where nothing else has loaded them, and
// reads the loaded shared objects from /proc/self/maps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageOnFirstUse } from '../../../shared/kafka/compression/codec.ts';
import { TributaryError } from '../../../shared/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Runs `body` (module code, after the record-batch module is loaded) in a fresh Node process; returns the loaded addons it reports. */
function addonsLoadedAfter(body: string): { before: string[]; after: string[] } {
  const script = `
    import { readFileSync } from 'node:fs';
    const addons = () => [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((line) => /\\/(snappy|lz4)[^/]*\\.node$/.exec(line)?.[1]).filter(Boolean))].sort();
    const { compress, decompress } = await import('./shared/kafka/compression/registry.ts');
    const { encodeRecordBatch, decodeRecords } = await import('./shared/kafka/record-batch.ts');
    const before = addons();
    ${body}
    console.log(JSON.stringify({ before, after: addons() }));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as { before: string[]; after: string[] };
}

test('record batches without snappy or lz4 load neither package', () => {
  const loaded = addonsLoadedAfter(`
    for (const compression of ['none', 'gzip', 'zstd']) decodeRecords(encodeRecordBatch({ records: [{ value: Buffer.from('reading') }], compression }));`);
  assert.equal(loaded, { before: [], after: [] });
});

test('the first lz4 batch loads lz4-napi alone, the first snappy batch snappy', () => {
  const loaded = addonsLoadedAfter(`
    const value = decodeRecords(encodeRecordBatch({ records: [{ value: Buffer.from('reading') }], compression: 'lz4' }))[0].value.toString();
    if (value !== 'reading') throw new Error('lz4 round trip gave ' + value);
    const between = addons();
    if (between.join() !== 'lz4') throw new Error('after an lz4 batch the loaded addons are ' + between.join());
    if (decompress('snappy', compress('snappy', Buffer.from('reading'))).toString() !== 'reading') throw new Error('snappy round trip failed');`);
  assert.equal(loaded, { before: [], after: ['lz4', 'snappy'] });
});

test('a codec whose package cannot be loaded refuses with COMPRESSION_UNSUPPORTED, naming the package', () => {
  const load = packageOnFirstUse('lz4', 'lz4-napi-that-is-not-installed');
  assert.throws(load, (thrown: unknown) => thrown instanceof TributaryError && thrown.code === 'COMPRESSION_UNSUPPORTED' && /lz4 compression needs the package lz4-napi-that-is-not-installed/.test(thrown.message));
});

test.run();
