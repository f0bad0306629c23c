// What a fuzz target is: a function that takes any bytes, and the rule that tells the
// decoder's own refusals (expected, typed errors) from findings.

export interface FuzzTarget {
  /** Runs the code under test on one input. Returns normally or throws. */
  fuzz(input: Buffer): void;
  /** Whether an error thrown by `fuzz` is the decoder's own refusal of bad input (not a finding). */
  isExpectedError(error: unknown): boolean;
  /**
   * The most bytes of Buffers one input may cause to be allocated. A decoder must not let
   * a length field choose its allocation: past this the input is a finding.
   */
  allocationBytesMax(input: Buffer): number;
}
