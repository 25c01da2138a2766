// Policies the replayer can run, built fresh per seed (online learning starts from nothing).
import type { SeededRng } from './seeded-rng.js';
import { createBestFitPolicy } from '../core/policies/bestfit.js';
import { createDotProductPolicy } from '../core/policies/dotprod.js';
import { createFgdPolicy } from '../core/policies/fgd.js';
import { createPackingPolicy } from '../core/policies/packing.js';
import { createPhalanxPolicy, type PhalanxWeights } from '../core/policies/phalanx.js';
import type { PlacementPolicy } from '../core/policies/policy.js';
import { createRandomPolicy } from '../core/policies/random.js';

export const REPLAY_POLICIES = ['random', 'dotprod', 'packing', 'bestfit', 'fgd', 'phalanx'] as const;
export type ReplayPolicyName = (typeof REPLAY_POLICIES)[number];

export interface ReplayPolicy {
  readonly policy: PlacementPolicy;
  /** Whether the score depends on the candidate only (identical nodes may share one score). */
  readonly pure: boolean;
  /**
   * The policy is given the target workload's pod-type distribution before the replay, as the FGD
   * paper assumes (its typical pods come from the whole pod list), and keeps that table fixed.
   * Phalanx learns online from arriving pods instead.
   */
  readonly knowsWorkload: boolean;
}

export function isReplayPolicy(name: string): name is ReplayPolicyName {
  return (REPLAY_POLICIES as readonly string[]).includes(name);
}

/** `phalanxWeights`: replaces the shipped phalanx constants (cross-validation only). */
export function createReplayPolicy(
  name: ReplayPolicyName,
  rng: SeededRng,
  phalanxWeights?: PhalanxWeights,
): ReplayPolicy {
  switch (name) {
    case 'random':
      return { policy: createRandomPolicy(rng), pure: false, knowsWorkload: false };
    case 'dotprod':
      return { policy: createDotProductPolicy(), pure: true, knowsWorkload: false };
    case 'packing':
      return { policy: createPackingPolicy(), pure: true, knowsWorkload: false };
    case 'bestfit':
      return { policy: createBestFitPolicy(), pure: true, knowsWorkload: false };
    case 'fgd':
      return { policy: createFgdPolicy(), pure: true, knowsWorkload: true };
    case 'phalanx':
      return { policy: createPhalanxPolicy(phalanxWeights), pure: true, knowsWorkload: false };
  }
}
