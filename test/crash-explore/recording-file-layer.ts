// A FileLayer that performs every operation for real (real files, real fdatasync) and
// appends what it did to a trace, for the crash-state generator to replay.
import { relative } from 'node:path';
import { FileLayer } from '../../edge/storage/file-io.ts';
import type { BaseState, TraceEntry } from './trace.ts';

/** Longest trace one recording may make; past it the workload is too big to explore in a CI run's budget. */
export const TRACE_ENTRIES_MAX = 20_000;

export class RecordingFileLayer extends FileLayer {
  readonly entries: TraceEntry[] = [];
  readonly #root: string;
  /** The live namespace as the store sees it: relative path to inode (files only). */
  readonly #inodes = new Map<string, number>();
  #nextInode = 1;

  /** Records operations under `root`, whose contents at the start are `base`. */
  constructor(root: string, base: BaseState) {
    super();
    this.#root = root;
    for (const path of base.files.keys()) this.#inodes.set(path, this.#nextInode++);
  }

  /** Adds an entry the workload observed (an acknowledgement). */
  record(entry: TraceEntry): void {
    if (this.entries.length >= TRACE_ENTRIES_MAX) throw new Error(`the trace passed TRACE_ENTRIES_MAX (${TRACE_ENTRIES_MAX}); shorten the workload`);
    this.entries.push(entry);
  }

  #relative(path: string): string {
    return relative(this.#root, path);
  }

  #inode(path: string): number {
    const inode = this.#inodes.get(this.#relative(path));
    if (inode === undefined) throw new Error(`no inode recorded for ${path}`);
    return inode;
  }

  override async open(path: string, flags: string | number): Promise<number> {
    const fd = await super.open(path, flags);
    // 'w' and 'w+' create the file or truncate it; the store opens with no other creating flag.
    if (typeof flags === 'string' && flags.startsWith('w')) {
      const name = this.#relative(path);
      const inode = this.#inodes.get(name);
      if (inode === undefined) {
        const created = this.#nextInode++;
        this.#inodes.set(name, created);
        this.record({ kind: 'create', path: name, inode: created });
      } else {
        this.record({ kind: 'truncate', inode, length: 0 });
      }
    }
    return fd;
  }

  override async writeAll(fd: number, path: string, buffers: Buffer[], position: number): Promise<void> {
    const bytes = Buffer.concat(buffers);
    await super.writeAll(fd, path, buffers, position);
    this.record({ kind: 'write', inode: this.#inode(path), position, bytes });
  }

  override async datasync(fd: number, path: string): Promise<void> {
    const issuedAt = this.entries.length;
    await super.datasync(fd, path);
    this.record({ kind: 'sync', inode: this.#inode(path), issuedAt });
  }

  override async truncate(fd: number, path: string, length: number): Promise<void> {
    await super.truncate(fd, path, length);
    this.record({ kind: 'truncate', inode: this.#inode(path), length });
  }

  override async mkdir(path: string): Promise<void> {
    await super.mkdir(path);
    this.record({ kind: 'mkdir', path: this.#relative(path) });
  }

  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    const source = this.#relative(from);
    const target = this.#relative(to);
    for (const [name, inode] of [...this.#inodes]) {
      const moved = movedPath(name, source, target);
      if (moved === name) continue;
      this.#inodes.delete(name);
      this.#inodes.set(moved, inode);
    }
    this.record({ kind: 'rename', from: source, to: target });
  }

  override async unlink(path: string): Promise<void> {
    await super.unlink(path);
    this.#inodes.delete(this.#relative(path));
    this.record({ kind: 'unlink', path: this.#relative(path) });
  }

  override async removeTree(path: string): Promise<void> {
    await super.removeTree(path);
    const tree = this.#relative(path);
    for (const name of [...this.#inodes.keys()]) if (isWithin(name, tree)) this.#inodes.delete(name);
    this.record({ kind: 'removeTree', path: tree });
  }

  override async syncDirectory(path: string): Promise<void> {
    const issuedAt = this.entries.length;
    await super.syncDirectory(path);
    this.record({ kind: 'syncDirectory', path: this.#relative(path), issuedAt });
  }
}

/** True when `path` is `tree` or lies under it. */
export function isWithin(path: string, tree: string): boolean {
  return path === tree || path.startsWith(`${tree}/`);
}

/** `path` after a rename of `from` to `to` (a file, or a directory with everything under it). */
export function movedPath(path: string, from: string, to: string): string {
  return isWithin(path, from) ? `${to}${path.slice(from.length)}` : path;
}
