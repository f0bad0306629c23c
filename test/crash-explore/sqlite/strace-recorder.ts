// Records the SQLite workload's file I/O with strace. SQLite does its I/O in C, below the
// file layer the log store's recording goes through, and the sqlite3 package reaches no
// SQLite VFS from JavaScript; strace sees every syscall the process makes, with the written
// bytes and their offsets, and needs no change to the product.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/system-programs.ts';
import { TRACE_ENTRIES_MAX } from '../recording-file-layer.ts';
import type { Recording } from '../trace.ts';
import { TRACED_SYSCALLS, traceFromStrace } from './strace-trace.ts';

/** Rounds of the workload unless told otherwise: about 1,150 trace entries, each store's commit dozens of times, two checkpoints included. */
export const SQLITE_WORKLOAD_ROUNDS = 12;
/**
 * Bytes of a buffer strace prints (-s): more than SQLite writes in one call (a page of
 * up to 64 KiB, a WAL frame header), so that every write is printed whole; the parser
 * fails a write printed short.
 */
const STRACE_STRING_BYTES = 1 << 20;
/** Directories of the data directory that exist before the workload starts, as the daemon makes them. */
const BASE_DIRECTORIES = ['meta'];

const WORKLOAD = join(import.meta.dirname, 'workload-process.ts');

/** Runs the workload under strace in a fresh data directory and returns its trace. */
export async function recordSqliteWorkload(options: { rounds?: number } = {}): Promise<Recording> {
  const strace = requireProgram('strace');
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'tributary-sqlite-trace-')));
  try {
    const root = join(scratch, 'data');
    for (const directory of BASE_DIRECTORIES) mkdirSync(join(root, directory), { recursive: true });
    const markerPath = join(scratch, 'markers');
    const output = join(scratch, 'strace');
    const args = ['-f', '-qq', '-y', '-xx', '-s', String(STRACE_STRING_BYTES), '-e', `trace=${TRACED_SYSCALLS.join(',')}`, '-o', output,
      '--', process.execPath, WORKLOAD, root, markerPath, String(options.rounds ?? SQLITE_WORKLOAD_ROUNDS)];
    const child = spawn(strace, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`the SQLite workload under strace exited with ${code}: ${stderr.trim()}`);
    const entries = traceFromStrace(readFileSync(output, 'latin1'), { root, markerPath, directories: BASE_DIRECTORIES });
    if (entries.length > TRACE_ENTRIES_MAX) throw new Error(`the SQLite trace has ${entries.length} entries, past TRACE_ENTRIES_MAX (${TRACE_ENTRIES_MAX}); shorten the workload`);
    return { base: { directories: BASE_DIRECTORIES, files: new Map() }, entries, topics: [], finalLogStart: new Map() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
