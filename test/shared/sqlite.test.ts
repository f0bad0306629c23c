import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, PAGE_CACHE_KIB } from '../../shared/sqlite.ts';

test('a bigint above 2^53 is stored as an integer and reads back exactly as text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
  const db = await Database.open(join(dir, 'x.sqlite'));
  try {
    await db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    const big = 2n ** 62n + 7n;
    await db.run('INSERT INTO t (v) VALUES (?)', [big]);
    const row = await db.get<{ v: string; kind: string }>('SELECT CAST(v AS TEXT) AS v, typeof(v) AS kind FROM t');
    assert.is(row?.kind, 'integer');
    assert.is(BigInt(row!.v), big);
    const ordered = await db.all<{ v: number }>('SELECT v FROM t WHERE v > ?', [2n ** 62n]);
    assert.is(ordered.length, 1, 'compares as an integer');
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed statement inside transaction() rolls back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
  const db = await Database.open(join(dir, 'x.sqlite'));
  try {
    await db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY)');
    await db.run('INSERT INTO t (v) VALUES (1)');
    await db.transaction(async () => {
      await db.run('INSERT INTO t (v) VALUES (2)');
      await db.run('INSERT INTO t (v) VALUES (1)');
    }).then(() => assert.unreachable('duplicate key must fail'), () => undefined);
    const rows = await db.all<{ v: number }>('SELECT v FROM t');
    assert.equal(rows.map((row) => row.v), [1]);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database is opened durable (WAL, synchronous FULL) with a page cache of PAGE_CACHE_KIB, also when opened again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
  try {
    for (let opening = 0; opening < 2; opening += 1) {
      const db = await Database.open(join(dir, 'x.sqlite'));
      try {
        assert.equal(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
        assert.equal(await db.get('PRAGMA synchronous'), { synchronous: 2 }, 'FULL');
        assert.equal(await db.get('PRAGMA cache_size'), { cache_size: -PAGE_CACHE_KIB }, 'negative: KiB, not pages');
      } finally {
        await db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
