// Writes one compacted segment: kept batches appended back to back into `<base>.log.cleaned`
// through the file layer, in large sequential writes (flash wants few, large writes), with
// its offset and time index built as it goes. Synced and closed before the swap commits it.
import type { FileLayer } from '../file-io.ts';
import { SegmentIndex } from '../segment-index.ts';
import { cleanedSegmentPath } from './segment-swap.ts';

/** Bytes gathered before one write to the cleaned file: large sequential writes, bounded memory. */
export const CLEANER_WRITE_BUFFER_BYTES = 1024 * 1024;

export class CleanedSegmentWriter {
  readonly baseOffset: bigint;
  readonly path: string;
  readonly index = new SegmentIndex();
  readonly #files: FileLayer;
  readonly #fd: number;
  readonly #buffer = Buffer.allocUnsafe(CLEANER_WRITE_BUFFER_BYTES);
  #buffered = 0;
  /** Bytes handed to the file so far, and so the position of the next batch. */
  #written = 0;
  sizeBytes = 0;

  private constructor(files: FileLayer, path: string, fd: number, baseOffset: bigint) {
    this.#files = files;
    this.path = path;
    this.#fd = fd;
    this.baseOffset = baseOffset;
  }

  static async create(files: FileLayer, directory: string, baseOffset: bigint): Promise<CleanedSegmentWriter> {
    const path = cleanedSegmentPath(directory, baseOffset);
    return new CleanedSegmentWriter(files, path, await files.open(path, 'w'), baseOffset);
  }

  /** Appends a whole batch of base offset `baseOffset`. */
  async append(batch: Buffer, baseOffset: bigint, maxTimestamp: bigint): Promise<void> {
    this.index.addBatch(Number(baseOffset - this.baseOffset), this.sizeBytes, batch.length, maxTimestamp);
    this.sizeBytes += batch.length;
    if (this.#buffered + batch.length > this.#buffer.length) await this.#flush();
    if (batch.length > this.#buffer.length) {
      await this.#files.writeAll(this.#fd, this.path, [batch], this.#written);
      this.#written += batch.length;
      return;
    }
    batch.copy(this.#buffer, this.#buffered);
    this.#buffered += batch.length;
  }

  /** Writes what is buffered, syncs and closes: the file is whole on disk. */
  async finish(): Promise<void> {
    try {
      await this.#flush();
      await this.#files.datasync(this.#fd, this.path);
    } finally {
      await this.#files.close(this.#fd, this.path);
    }
  }

  /** Closes and deletes the file: the pass was given up. */
  async discard(): Promise<void> {
    await this.#files.close(this.#fd, this.path).catch(() => undefined);
    await this.#files.unlink(this.path).catch(() => undefined);
  }

  /** Bytes written to the device by this segment (the cleaner's share of write amplification). */
  get writtenBytes(): number {
    return this.#written + this.#buffered;
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    await this.#files.writeAll(this.#fd, this.path, [this.#buffer.subarray(0, this.#buffered)], this.#written);
    this.#written += this.#buffered;
    this.#buffered = 0;
  }
}
