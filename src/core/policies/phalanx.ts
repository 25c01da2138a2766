// Phalanx's own placement policy: fragmentation gradient descent against the pod types learned
// online, blended with best fit. FGD alone scatters pods while its learned table is still thin
// (many placements grow fragmentation equally); the best-fit term consolidates them, and among
// near-equal fragmentation growth it prefers the fuller node, keeping whole nodes free for
// multi-GPU pods.
import { leftover } from './bestfit.js';
import { createFragmentationScorer } from './fgd.js';
import type { PlacementPolicy } from './policy.js';

/**
 * Milli-GPU of expected fragment growth that one unit of best-fit leftover (a whole reference node:
 * 8 GPUs and 128 vCPU) is worth. Chosen on the default openb trace among 1, 50, 150 and 400.
 */
const BEST_FIT_WEIGHT = 50;

export function createPhalanxPolicy(): PlacementPolicy {
  const scorer = createFragmentationScorer();
  return {
    name: 'phalanx',
    score: (candidate) => -scorer.fragmentIncrease(candidate) - BEST_FIT_WEIGHT * leftover(candidate),
    observe: (demand) => scorer.observe(demand),
    version: () => scorer.version(),
  };
}
