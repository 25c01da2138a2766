// Uniformly random placement: the baseline every other policy is measured against.
import type { PlacementPolicy } from './policy.js';
import type { Rng } from '../types.js';

export function createRandomPolicy(rng: Rng): PlacementPolicy {
  return { name: 'random', score: () => rng.next() };
}
