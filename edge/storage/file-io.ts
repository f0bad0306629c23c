// The file layer of the log store: every system call the store makes goes through here,
// so that errors are turned into TributaryErrors naming the file, and so that tests can
// inject faults (ENOSPC, EIO) at append, sync, roll and truncate.
//
// Callback-style fs calls run on libuv's thread pool without the FileHandle wrapper's
// per-call allocations, which matters on the append path.
import fs from 'node:fs';
import { dirname } from 'node:path';
import { TributaryError } from '../../shared/errors.ts';

export type FileOperation = 'open' | 'write' | 'read' | 'sync' | 'truncate' | 'close' | 'rename' | 'unlink' | 'mkdir' | 'readdir' | 'stat' | 'remove';

/**
 * Called before each operation; returning an error makes the operation fail with it.
 * A failed 'write' first writes half of its bytes, the way a disk that fills up mid-write
 * leaves a torn tail.
 */
export type FaultInjector = (operation: FileOperation, path: string) => NodeJS.ErrnoException | undefined;

/** Builds an errno-style error like the ones fs raises, for fault injection. */
export function errnoError(code: 'ENOSPC' | 'EIO' | 'EDQUOT' | 'EROFS', path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${path}`);
  error.code = code;
  error.path = path;
  return error;
}

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** Wraps an fs error: disk full becomes STORAGE_DISK_FULL, anything else STORAGE_IO; both name the file and the operation. */
export function storageError(error: unknown, operation: FileOperation, path: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && DISK_FULL_CODES.has(code)) {
    return new TributaryError('STORAGE_DISK_FULL', `disk full (${code}) during ${operation} of ${path}; free space or lower retention, then retry`, { path, operation, errno: code }, { cause: error });
  }
  return new TributaryError('STORAGE_IO', `I/O error during ${operation} of ${path}: ${(error as Error)?.message ?? String(error)}`, { path, operation, errno: code }, { cause: error });
}

function call<T>(operation: FileOperation, path: string, start: (callback: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => (error ? reject(storageError(error, operation, path)) : resolve(value)));
  });
}

/** Positional reads of a segment file: the thread pool's (FileLayer) or the page cache's. */
export interface PositionalReader {
  /** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
  read(fd: number, path: string, buffer: Buffer, length: number, position: number): Promise<number>;
}

export class FileLayer implements PositionalReader {
  readonly #faults: FaultInjector | undefined;

  constructor(faults?: FaultInjector) {
    this.#faults = faults;
  }

  #check(operation: FileOperation, path: string): void {
    const fault = this.#faults?.(operation, path);
    if (fault) throw storageError(fault, operation, path);
  }

  async open(path: string, flags: string | number): Promise<number> {
    this.#check('open', path);
    return call<number>('open', path, (callback) => fs.open(path, flags, 0o644, callback));
  }

  async close(fd: number, path: string): Promise<void> {
    await call<void>('close', path, (callback) => fs.close(fd, (error) => callback(error, undefined)));
  }

  /** Writes all of `buffers` at `position`, continuing after short writes. */
  async writeAll(fd: number, path: string, buffers: Buffer[], position: number): Promise<void> {
    const fault = this.#faults?.('write', path);
    if (fault) {
      const first = buffers[0];
      if (first !== undefined && first.length > 1) {
        const half = first.subarray(0, first.length >> 1);
        await call<number>('write', path, (callback) => fs.write(fd, half, 0, half.length, position, callback));
      }
      throw storageError(fault, 'write', path);
    }
    let remaining = buffers;
    let at = position;
    while (remaining.length > 0) {
      const written = await call<number>('write', path, (callback) => fs.writev(fd, remaining, at, callback));
      at += written;
      remaining = skipBytes(remaining, written);
    }
  }

  /**
   * Reads bytes that were just written and so are in the page cache: a synchronous read
   * costs microseconds there, where a read on the thread pool would queue behind the
   * fdatasyncs of a sync round (4 threads by default) and add milliseconds to a fetch at
   * the log's tail. Callers bound what they read this way (RECENT_TAIL_BYTES).
   */
  readonly pageCache: PositionalReader = {
    read: async (fd, path, buffer, length, position) => {
      this.#check('read', path);
      let total = 0;
      while (total < length) {
        let count: number;
        try {
          count = fs.readSync(fd, buffer, total, length - total, position + total);
        } catch (error) {
          throw storageError(error, 'read', path);
        }
        if (count === 0) break;
        total += count;
      }
      return total;
    },
  };

  /** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
  async read(fd: number, path: string, buffer: Buffer, length: number, position: number): Promise<number> {
    this.#check('read', path);
    let total = 0;
    while (total < length) {
      const count = await call<number>('read', path, (callback) => fs.read(fd, buffer, total, length - total, position + total, callback));
      if (count === 0) break;
      total += count;
    }
    return total;
  }

  async datasync(fd: number, path: string): Promise<void> {
    this.#check('sync', path);
    await call<void>('sync', path, (callback) => fs.fdatasync(fd, (error) => callback(error, undefined)));
  }

  async truncate(fd: number, path: string, length: number): Promise<void> {
    this.#check('truncate', path);
    await call<void>('truncate', path, (callback) => fs.ftruncate(fd, length, (error) => callback(error, undefined)));
  }

  async size(fd: number, path: string): Promise<number> {
    this.#check('stat', path);
    const stat = await call<fs.Stats>('stat', path, (callback) => fs.fstat(fd, callback));
    return stat.size;
  }

  async stat(path: string): Promise<fs.Stats | undefined> {
    this.#check('stat', path);
    try {
      return await fs.promises.stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(error, 'stat', path);
    }
  }

  async readdir(path: string): Promise<string[]> {
    this.#check('readdir', path);
    try {
      return await fs.promises.readdir(path);
    } catch (error) {
      throw storageError(error, 'readdir', path);
    }
  }

  async mkdir(path: string): Promise<void> {
    this.#check('mkdir', path);
    try {
      await fs.promises.mkdir(path, { recursive: true });
    } catch (error) {
      throw storageError(error, 'mkdir', path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.#check('rename', from);
    try {
      await fs.promises.rename(from, to);
    } catch (error) {
      throw storageError(error, 'rename', from);
    }
  }

  /** Removes a file; a file that is already gone is fine. */
  async unlink(path: string): Promise<void> {
    this.#check('unlink', path);
    try {
      await fs.promises.unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(error, 'unlink', path);
    }
  }

  async removeTree(path: string): Promise<void> {
    this.#check('remove', path);
    try {
      await fs.promises.rm(path, { recursive: true, force: true });
    } catch (error) {
      throw storageError(error, 'remove', path);
    }
  }

  /** Makes directory entries (created, renamed or removed files) durable. */
  async syncDirectory(path: string): Promise<void> {
    const fd = await this.open(path, 'r');
    try {
      this.#check('sync', path);
      await call<void>('sync', path, (callback) => fs.fsync(fd, (error) => callback(error, undefined)));
    } finally {
      await this.close(fd, path);
    }
  }

  /** The whole file, or undefined if it does not exist. */
  async readWhole(path: string): Promise<Buffer | undefined> {
    this.#check('read', path);
    try {
      return await fs.promises.readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(error, 'read', path);
    }
  }

  /**
   * Replaces a small file atomically and durably: write a temporary file, sync it,
   * rename it over the old one, sync the directory. A crash leaves the old or the new
   * contents, never a mix.
   */
  async replaceDurably(path: string, data: Buffer, syncDirectory = true): Promise<void> {
    const temporary = `${path}${TEMPORARY_SUFFIX}`;
    const fd = await this.open(temporary, 'w');
    try {
      await this.writeAll(fd, temporary, [data], 0);
      await this.datasync(fd, temporary);
    } finally {
      await this.close(fd, temporary);
    }
    await this.rename(temporary, path);
    if (syncDirectory) await this.syncDirectory(dirname(path));
  }
}

/** Suffix of files being replaced; leftovers from a crash are removed at open. */
export const TEMPORARY_SUFFIX = '.tmp';

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) {
    skip -= buffers[index]!.length;
    index += 1;
  }
  if (index >= buffers.length) return [];
  const rest = buffers.slice(index);
  if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}
