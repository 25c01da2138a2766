// Seeded randomness for the replayer (core code only sees the Rng interface).
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Rng } from '../core/types.js';

export interface SeededRng extends Rng {
  /** Uniform integer in [0, n). */
  below(n: number): number;
}

export function seededRng(seed: number): SeededRng {
  const gen = xoroshiro128plus(seed);
  return {
    next: () => uniformFloat64(gen),
    below: (n) => uniformInt(gen, 0, n - 1),
  };
}

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(items: T[], rng: SeededRng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}
