// A small seeded pseudo-random generator, so that a simulated fleet or a faulty link can
// be replayed exactly from its seed. Not for anything that needs secrecy.

export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [low, high]. */
  integer(low: number, high: number): number;
  /** A number drawn from an exponential distribution with this mean (the gaps of a Poisson process). */
  exponential(mean: number): number;
  /** A number uniformly in [center - spread, center + spread]. */
  around(center: number, spread: number): number;
}

/** mulberry32: 32 bits of state, fast, and good enough for simulation. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    integer: (low, high) => low + Math.floor(next() * (high - low + 1)),
    // 1 - next() is in (0, 1], so the logarithm is finite.
    exponential: (mean) => -Math.log(1 - next()) * mean,
    around: (center, spread) => center + (next() * 2 - 1) * spread,
  };
}
