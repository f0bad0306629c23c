// Cuts bytes read from a file into lines, remembering where each ends in the file. A line
// is complete at its newline ("\n"; a "\r" before it is dropped); the bytes after the last
// newline wait for the next read. A line longer than the limit is skipped whole, and
// reported once, so that one runaway writer cannot make the connector hold unbounded
// memory.
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface Line {
  line: Buffer;
  /** Byte offset in the file just after the line's newline: where reading resumes. */
  end: number;
}

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onTooLong: (bytes: number, offset: number) => void;
  /** Bytes of the current line read so far (at most maxLineBytes). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** File offset of the start of the current line. */
  #lineStart = 0;
  /** File offset of the next byte pushed. */
  #offset = 0;
  /** The current line passed the limit: its bytes are dropped until its newline. */
  #skipping = false;

  constructor(maxLineBytes: number, onTooLong: (bytes: number, offset: number) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onTooLong = onTooLong;
  }

  /** Starts again at `offset` of a file, forgetting any partial line. */
  reset(offset: number): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#lineStart = offset;
    this.#offset = offset;
    this.#skipping = false;
  }

  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (let index = chunk.indexOf(NEWLINE); index !== -1; index = chunk.indexOf(NEWLINE, start)) {
      this.#take(chunk.subarray(start, index));
      const end = this.#offset + index + 1;
      if (this.#skipping) this.#onTooLong(end - this.#lineStart, this.#lineStart);
      else lines.push({ line: this.#finishLine(), end });
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#skipping = false;
      this.#lineStart = end;
      start = index + 1;
    }
    this.#take(chunk.subarray(start));
    this.#offset += chunk.length;
    return lines;
  }

  /** The partial line at the end, as a line of its own (the file will not get its newline). */
  flush(): Line[] {
    if (this.#skipping) this.#onTooLong(this.#offset - this.#lineStart, this.#lineStart);
    const lines = this.#pendingBytes > 0 && !this.#skipping ? [{ line: this.#finishLine(), end: this.#offset }] : [];
    this.reset(this.#offset);
    return lines;
  }

  #take(bytes: Buffer): void {
    if (this.#skipping || bytes.length === 0) return;
    if (this.#pendingBytes + bytes.length > this.#maxLineBytes) {
      this.#skipping = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // Copied: the read buffer is reused for the next read.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  #finishLine(): Buffer {
    const line = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line;
  }
}
