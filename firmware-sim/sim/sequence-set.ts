// A set of sequence numbers kept as sorted, disjoint, inclusive ranges: a device that
// had all of 1..100000 acknowledged is one pair, not a hundred thousand numbers.
import { assert } from '../../shared/errors.ts';

export type SequenceRange = [first: number, last: number];

export class SequenceSet {
  readonly #ranges: SequenceRange[] = [];
  #size = 0;

  /** How many numbers the set holds. */
  get size(): number {
    return this.#size;
  }

  /** Adds `sequence`; returns false when it was already there. */
  add(sequence: number): boolean {
    assert(Number.isSafeInteger(sequence), 'sequence numbers are integers');
    const ranges = this.#ranges;
    const last = ranges[ranges.length - 1];
    // Acknowledgements almost always arrive in order: extend the last range.
    if (last !== undefined && sequence === last[1] + 1) {
      last[1] = sequence;
      this.#size += 1;
      return true;
    }
    if (last === undefined || sequence > last[1] + 1) {
      ranges.push([sequence, sequence]);
      this.#size += 1;
      return true;
    }
    // Out of order: find the first range that ends at or after `sequence - 1`.
    let low = 0;
    let high = ranges.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ranges[middle]![1] < sequence - 1) low = middle + 1;
      else high = middle;
    }
    const range = ranges[low]!;
    if (sequence >= range[0] && sequence <= range[1]) return false;
    if (sequence === range[1] + 1) {
      range[1] = sequence;
      const next = ranges[low + 1];
      if (next !== undefined && next[0] === sequence + 1) {
        range[1] = next[1];
        ranges.splice(low + 1, 1);
      }
    } else if (sequence === range[0] - 1) {
      range[0] = sequence;
    } else {
      ranges.splice(low, 0, [sequence, sequence]);
    }
    this.#size += 1;
    return true;
  }

  has(sequence: number): boolean {
    return this.#ranges.some(([first, last]) => sequence >= first && sequence <= last);
  }

  /** The ranges, sorted; a copy. */
  ranges(): SequenceRange[] {
    return this.#ranges.map(([first, last]) => [first, last]);
  }

  static fromRanges(ranges: readonly SequenceRange[]): SequenceSet {
    const set = new SequenceSet();
    for (const [first, last] of ranges) for (let sequence = first; sequence <= last; sequence += 1) set.add(sequence);
    return set;
  }
}
