// Reproducible randomness keyed by what it decides (message 17's 2nd processing time), not by the order
// things happen in: two runs that differ only in strategy draw the same numbers for the same message,
// so a comparison shows the strategy's effect, not a different roll of the dice.

/** A uniform number in [0, 1) from a seed, a stream and up to two indexes. */
export function unit(seed: number, stream: number, i: number, k = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [stream, i, k]) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

/** Streams, one per kind of decision. */
export const STREAM = { startup: 1, processing: 2, failure: 3, failAt: 4, uid: 5 } as const;

/** mean ± spread * mean, uniformly; never negative. */
export function spread(mean: number, fraction: number, u: number): number {
  return Math.max(0, mean * (1 + fraction * (2 * u - 1)));
}
