// A one-line progress bar on stderr for long operations (consuming many records, producing
// a large file, resetting many partitions). Drawn only when stderr is a terminal, so that
// scripts and log files never see carriage returns; stdout stays clean for the data.

/** Redraws at most this often; a terminal cannot show faster updates and each one costs a write. */
const REDRAW_INTERVAL_MS = 100;
/** Width of the bar itself, in characters; leaves room for the counts on an 80-column terminal. */
const BAR_WIDTH = 30;

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #unit: string;
  readonly #enabled: boolean;
  #total: number | undefined;
  #done = 0;
  #lastDrawMs = 0;
  #drawn = false;

  /** `total` may be unknown (undefined): then a count is shown without a bar. */
  constructor(options: { label: string; total?: number; unit?: string; stream?: ProgressStream; enabled?: boolean }) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = (options.enabled ?? true) && this.#stream.isTTY === true;
    this.#label = options.label;
    this.#total = options.total;
    this.#unit = options.unit ?? '';
  }

  /** Drawn only on a terminal, and not when the caller turned it off. */
  get enabled(): boolean {
    return this.#enabled;
  }

  setTotal(total: number): void {
    this.#total = total;
  }

  /** Adds `count` to the progress and redraws if enough time has passed. */
  advance(count = 1): void {
    this.#done += count;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#lastDrawMs < REDRAW_INTERVAL_MS) return;
    this.#lastDrawMs = now;
    this.#draw();
  }

  /** Removes the bar so that the next line of output starts clean. */
  finish(): void {
    if (!this.enabled || !this.#drawn) return;
    this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  /** The text of the bar, without terminal control characters (shown by #draw, used by tests). */
  render(): string {
    const unit = this.#unit === '' ? '' : ` ${this.#unit}`;
    if (this.#total === undefined || this.#total <= 0) return `${this.#label} ${this.#done}${unit}`;
    const fraction = Math.min(1, this.#done / this.#total);
    const filled = Math.round(fraction * BAR_WIDTH);
    return `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${this.#done}/${this.#total}${unit} ${Math.floor(fraction * 100)}%`;
  }

  #draw(): void {
    this.#stream.write(`\r\x1b[2K${this.render()}`);
    this.#drawn = true;
  }
}
