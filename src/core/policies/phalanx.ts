// Phalanx's own placement policy: fragmentation gradient descent against the pod types learned
// online, blended with best fit, plus a price on capacity that model-constrained pods depend on.
// FGD alone scatters pods while its learned table is still thin (many placements grow
// fragmentation equally); the best-fit term consolidates them, and among near-equal fragmentation
// growth it prefers the fuller node, keeping whole nodes free for multi-GPU pods.
import { leftover } from './bestfit.js';
import { createFragmentationScorer } from './fgd.js';
import { createModelDemand, displacedGpuMilli } from './model-demand.js';
import type { PlacementPolicy } from './policy.js';
import { PodTypeStats } from './pod-types.js';

/**
 * Milli-GPU of expected fragment growth that one unit of best-fit leftover (a whole reference node:
 * 8 GPUs and 128 vCPU) is worth. Chosen among 1, 30, 50, 80, 150 and 400 on two openb traces
 * (the default one and one with fewer shared-GPU pods); 80 was better than 50 on both.
 */
const BEST_FIT_WEIGHT = 80;

/**
 * Milli-GPU of fragment growth charged per milli the pod takes on a node, times the learned share
 * of pods constrained to (a set including) that node's GPU model. FGD already counts that share
 * once, as fragment for the constrained types; but best fit favours the small nodes such models
 * often come in, and a milli taken there by a pod that could run anywhere is a milli a constrained
 * pod cannot get later, so it is charged more. Zero effect when no pod names a model. Chosen among
 * 1, 2, 3, 4, 10 and 30 on the two openb traces with model-constrained pods.
 */
const CONSTRAINED_DEMAND_WEIGHT = 3;

export interface PhalanxWeights {
  readonly bestFit: number;
  readonly constrainedDemand: number;
}

export const PHALANX_WEIGHTS: PhalanxWeights = {
  bestFit: BEST_FIT_WEIGHT,
  constrainedDemand: CONSTRAINED_DEMAND_WEIGHT,
};

/** `weights` exists for the replayer's cross-validation; everything else uses the shipped ones. */
export function createPhalanxPolicy(weights: PhalanxWeights = PHALANX_WEIGHTS): PlacementPolicy {
  const { bestFit, constrainedDemand } = weights;
  const stats = new PodTypeStats();
  const scorer = createFragmentationScorer(stats);
  const modelDemand = createModelDemand(stats);
  return {
    name: 'phalanx',
    score: (candidate) =>
      -scorer.fragmentIncrease(candidate) -
      bestFit * leftover(candidate) -
      constrainedDemand * modelDemand(candidate.node.inventory.model) * displacedGpuMilli(candidate),
    observe: (demand) => scorer.observe(demand),
    version: () => scorer.version(),
  };
}
