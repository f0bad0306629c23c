// The crash-state model on small hand-made traces: what an fdatasync and a directory fsync
// make durable, what stays optional, and writes torn at sector boundaries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KEEP_ALL, KEEP_NONE, SECTOR_BYTES, TraceIndex, type UnsyncedChoice } from './crash-states.ts';
import type { Recording, TraceEntry } from './trace.ts';

function recordingOf(entries: TraceEntry[]): Recording {
  return { base: { directories: ['log'], files: new Map() }, entries, topics: [], finalLogStart: new Map() };
}

const bytes = (length: number, fill: number): Buffer => Buffer.alloc(length, fill);

/** The first entries of a trace: file 1 created at `path`, written with `length` bytes of `fill`, and synced. */
function syncedFile(path: string, length: number, fill: number): TraceEntry[] {
  return [
    { kind: 'create', path, inode: 1 },
    { kind: 'write', inode: 1, position: 0, bytes: bytes(length, fill) },
    { kind: 'sync', inode: 1, issuedAt: 2 },
  ];
}

test('a synced write is in every state; an unsynced one only where it is kept', () => {
  const index = new TraceIndex(recordingOf([
    ...syncedFile('log/a', 100, 1),
    { kind: 'write', inode: 1, position: 100, bytes: bytes(50, 2) },
  ]));
  assert.equal(index.state(4, KEEP_NONE, 'none').files.get('log/a'), bytes(100, 1));
  assert.equal(index.state(4, KEEP_ALL, 'all').files.get('log/a'), Buffer.concat([bytes(100, 1), bytes(50, 2)]));
});

test('an fdatasync covers what completed before it was issued, not what completed while it ran', () => {
  const index = new TraceIndex(recordingOf([
    { kind: 'create', path: 'log/a', inode: 1 },
    { kind: 'write', inode: 1, position: 0, bytes: bytes(10, 1) },
    { kind: 'write', inode: 1, position: 10, bytes: bytes(10, 2) },
    { kind: 'sync', inode: 1, issuedAt: 2 },
  ]));
  assert.equal(index.state(4, KEEP_NONE, 'none').files.get('log/a'), bytes(10, 1));
});

test('a rename is lost without an fsync of its directory, and kept with one', () => {
  const entries: TraceEntry[] = [
    ...syncedFile('log/a.tmp', 8, 1),
    { kind: 'rename', from: 'log/a.tmp', to: 'log/a' },
  ];
  const unsynced = new TraceIndex(recordingOf(entries)).state(4, KEEP_NONE, 'none');
  assert.equal([...unsynced.files.keys()], ['log/a.tmp'], 'the file created and synced is there, under its old name');
  const synced = new TraceIndex(recordingOf([...entries, { kind: 'syncDirectory', path: 'log', issuedAt: 4 }])).state(5, KEEP_NONE, 'none');
  assert.equal([...synced.files.keys()], ['log/a']);
  assert.equal(synced.files.get('log/a'), bytes(8, 1));
});

test('metadata survives in order: a later operation made durable keeps the earlier ones too', () => {
  const index = new TraceIndex(recordingOf([
    { kind: 'create', path: 'log/old', inode: 1 },
    { kind: 'unlink', path: 'log/old' },
    { kind: 'mkdir', path: 'other' },
    { kind: 'create', path: 'other/b', inode: 2 },
    { kind: 'syncDirectory', path: 'other', issuedAt: 4 },
  ]));
  const state = index.state(5, KEEP_NONE, 'none');
  assert.equal([...state.files.keys()], ['other/b'], 'the unlink before the synced create is durable with it');
  assert.ok(state.directories.has('other'));
});

test('per directory: only an fsync of its directory makes an operation durable, and directories keep no order between them', () => {
  const index = new TraceIndex(recordingOf([
    ...syncedFile('log/a', 8, 1),
    { kind: 'mkdir', path: 'other' },
    { kind: 'create', path: 'other/b', inode: 2 },
    { kind: 'syncDirectory', path: 'other', issuedAt: 5 },
  ]), 'per-directory');
  const state = index.state(6, KEEP_NONE, 'none');
  assert.equal([...state.files.keys()], ['other/b'], 'log/a was synced but its directory was not');
  // One group keeps its operations, the other does not: log/a without other/b's mkdir is a state too.
  const onlyLog: UnsyncedChoice = { ...KEEP_NONE, metadataKept: (count) => (count === 1 ? 1 : 0) };
  assert.ok(index.state(6, onlyLog, 'log only').files.has('log/a'));
});

test('a torn write keeps whole sectors of the file only', () => {
  const index = new TraceIndex(recordingOf([
    { kind: 'create', path: 'log/a', inode: 1 },
    { kind: 'sync', inode: 1, issuedAt: 1 },
    { kind: 'write', inode: 1, position: 100, bytes: bytes(1300, 7) },
  ]));
  // The write covers [100, 512), [512, 1024) and [1024, 1400): keep the first and the last.
  const torn: UnsyncedChoice = { ...KEEP_ALL, sectorsKept: (count) => (count === 3 ? [0, 2] : []) };
  const file = index.state(3, torn, 'torn').files.get('log/a')!;
  assert.is(file.length, 1400);
  assert.equal(file.subarray(100, SECTOR_BYTES), bytes(SECTOR_BYTES - 100, 7));
  assert.equal(file.subarray(SECTOR_BYTES, 2 * SECTOR_BYTES), bytes(SECTOR_BYTES, 0));
  assert.equal(file.subarray(2 * SECTOR_BYTES), bytes(1400 - 2 * SECTOR_BYTES, 7));
});

test('states of earlier crash points after later ones are built from the start again', () => {
  const index = new TraceIndex(recordingOf([
    ...syncedFile('log/a', 4, 1),
    { kind: 'write', inode: 1, position: 0, bytes: bytes(4, 2) },
    { kind: 'sync', inode: 1, issuedAt: 4 },
  ]));
  assert.equal(index.state(5, KEEP_NONE, 'none').files.get('log/a'), bytes(4, 2));
  assert.equal(index.state(3, KEEP_NONE, 'none').files.get('log/a'), bytes(4, 1));
});

test.run();
