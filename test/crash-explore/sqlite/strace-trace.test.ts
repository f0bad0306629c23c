// The strace parser on hand-made output in the form strace -f -y -xx prints: calls split
// by another thread are joined and counted where they completed, offsets come from
// pwrite64 or from the fd's position, the wal-index and files outside the data directory
// are left out, failed calls change nothing, and marker lines become marker entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { traceFromStrace } from './strace-trace.ts';

const hex = (text: string | Buffer): string => [...Buffer.from(text)].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
const fd = (number: number, path: string): string => `${number}<${hex(path)}>`;
const quote = (text: string | Buffer): string => `"${hex(text)}"`;

const root = '/data';
const options = { root, markerPath: '/markers', directories: ['meta'] };
const database = '/data/meta/db.sqlite';
const wal = '/data/meta/db.sqlite-wal';

test('SQLite\'s calls become the trace: creation, positioned and plain writes, truncates, syncs and unlinks, in the order they completed', () => {
  const page = Buffer.alloc(4096, 7);
  const output = [
    `100 openat(AT_FDCWD<${hex('/')}>, ${quote(database)}, O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644) = ${fd(20, database)}`,
    `100 openat(AT_FDCWD<${hex('/')}>, ${quote('/usr/lib/x.so')}, O_RDONLY|O_CLOEXEC) = ${fd(21, '/usr/lib/x.so')}`,
    `100 openat(AT_FDCWD<${hex('/')}>, ${quote('/data/meta/missing')}, O_RDONLY) = -1 ENOENT (No such file or directory)`,
    `101 openat(AT_FDCWD<${hex('/')}>, ${quote(wal)}, O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644) = ${fd(22, wal)}`,
    `101 pwrite64(${fd(22, wal)}, ${quote(page)}, 4096, 32 <unfinished ...>`,
    `102 pwrite64(${fd(23, '/data/meta/db.sqlite-shm')}, ${quote('x')}, 1, 32767) = 1`,
    `101 <... pwrite64 resumed>) = 4096`,
    `101 fdatasync(${fd(22, wal)} <unfinished ...>`,
    `100 lseek(${fd(20, database)}, 100, SEEK_SET) = 100`,
    `100 write(${fd(20, database)}, ${quote('abc')}, 3) = 3`,
    `101 <... fdatasync resumed>) = 0`,
    `100 write(${fd(5, '/markers')}, ${quote('{"one":1}\n{"tw')}, 14) = 14`,
    `100 write(${fd(5, '/markers')}, ${quote('o":2}\n')}, 6) = 6`,
    `101 ftruncate(${fd(22, wal)}, 0) = 0`,
    `101 openat(AT_FDCWD<${hex('/')}>, ${quote('/data/meta')}, O_RDONLY|O_CLOEXEC) = ${fd(24, '/data/meta')}`,
    `101 fsync(${fd(24, '/data/meta')}) = 0`,
    `101 unlink(${quote(wal)}) = 0`,
    `101 unlinkat(${fd(24, '/data/meta')}, ${quote('db.sqlite-shm')}, 0) = 0`,
    `100 fdatasync(${fd(20, database)}) = ?`,
    '100 +++ exited with 0 +++',
  ].join('\n');
  const entries = traceFromStrace(output, options);
  assert.equal(entries, [
    { kind: 'create', path: 'meta/db.sqlite', inode: 1 },
    { kind: 'create', path: 'meta/db.sqlite-wal', inode: 2 },
    { kind: 'write', inode: 2, position: 32, bytes: page },
    // Issued after the page completed, and completed after the plain write.
    { kind: 'write', inode: 1, position: 100, bytes: Buffer.from('abc') },
    { kind: 'sync', inode: 2, issuedAt: 3 },
    { kind: 'marker', text: '{"one":1}' },
    { kind: 'marker', text: '{"two":2}' },
    { kind: 'truncate', inode: 2, length: 0 },
    { kind: 'syncDirectory', path: 'meta', issuedAt: 8 },
    { kind: 'unlink', path: 'meta/db.sqlite-wal' },
  ]);
});

test('a write strace printed short, or one to a file whose creation it did not see, is an error that names it', () => {
  const short = `100 openat(AT_FDCWD<${hex('/')}>, ${quote(database)}, O_RDWR|O_CREAT, 0644) = ${fd(20, database)}\n100 pwrite64(${fd(20, database)}, ${quote('ab')}..., 4096, 0) = 4096`;
  assert.throws(() => traceFromStrace(short, options), /pwrite64 of 4096 bytes printed 2; raise -s/);
  const unseen = `100 openat(AT_FDCWD<${hex('/')}>, ${quote(database)}, O_RDWR, 0644) = ${fd(20, database)}`;
  assert.throws(() => traceFromStrace(unseen, options), /meta\/db\.sqlite is opened but was neither in the data directory at the start nor created/);
});

test.run();
