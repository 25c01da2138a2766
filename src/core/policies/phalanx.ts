// Phalanx's own placement policy (the extender's default): fragmentation gradient descent against
// the pod types learned online, with best fit as the tie-breaker among placements that grow
// fragmentation equally.
import { leftover } from './bestfit.js';
import { createFragmentationScorer } from './fgd.js';
import type { PlacementPolicy } from './policy.js';

/** Weight of best fit against fragmentation growth (milli-GPU per typical pod). */
const BEST_FIT_WEIGHT = 1;

export function createPhalanxPolicy(): PlacementPolicy {
  const scorer = createFragmentationScorer();
  return {
    name: 'phalanx',
    score: (candidate) => -scorer.fragmentIncrease(candidate) - BEST_FIT_WEIGHT * leftover(candidate),
    observe: (demand) => scorer.observe(demand),
  };
}
