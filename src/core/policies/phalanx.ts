// Phalanx's own placement policy: fragmentation gradient descent against the pod types learned
// online, blended with best fit, plus a price on GPUs a pod strands through the host CPU and on
// capacity that model-constrained pods depend on. FGD alone scatters pods while its learned table
// is still thin (many placements grow fragmentation equally); the best-fit term consolidates them,
// and among near-equal fragmentation growth it prefers the fuller node, keeping whole nodes free
// for multi-GPU pods. Best fit also packs CPU, which strands GPUs on CPU-poor nodes; the stranding
// price pays that back (benchmarks/results/replay-unallocated.md: where the unallocated GPUs are).
import { leftover } from './bestfit.js';
import { createFragmentationScorer } from './fgd.js';
import {
  createModelScarcity,
  createUnconstrainedShare,
  strandedGpuMilli,
  takenGpuMilli,
} from './model-demand.js';
import type { PlacementPolicy } from './policy.js';
import { PodTypeStats } from './pod-types.js';
import { markScoredByFreeView } from './score-class-cache.js';

/**
 * Milli-GPU of expected fragment growth that one unit of best-fit leftover (a whole reference node:
 * 8 GPUs and 128 vCPU) is worth. Chosen with STRANDED_WEIGHT by leave-one-family-out
 * cross-validation on openb traces (benchmarks/replay/crossval.ts, grid {40, 80, 120} x
 * {0.125, 0.25, 0.5}, tuning seeds 1-4): tuned on all four families (gpushare, multigpu, gpuspec,
 * cpu) the choice is 80 and 0.25; with gpushare or multigpu held out 80 and 0.25, with gpuspec or
 * cpu held out 40 and 0.5 (benchmarks/results/replay-crossval.md). `default` is never tuned on.
 */
const BEST_FIT_WEIGHT = 80;

/**
 * Milli-GPU of expected fragment growth that one milli of GPU stranded through the host CPU
 * (strandedGpuMilli) is worth, for demand that names no model (see createPhalanxPolicy).
 */
const STRANDED_WEIGHT = 0.25;

export interface PhalanxWeights {
  readonly bestFit: number;
  readonly stranded: number;
}

export const PHALANX_WEIGHTS: PhalanxWeights = { bestFit: BEST_FIT_WEIGHT, stranded: STRANDED_WEIGHT };

/**
 * `weights` exists for the replayer's cross-validation; everything else uses the shipped ones.
 *
 * FGD counts a GPU stranded through the host only for the learned types that no longer fit, in
 * proportion to how often they come; the stranding price counts every such milli, for the share of
 * the learned demand that names no model. Demand that names models is priced by the model charge:
 * priced in full, stranding sent CPU-heavy pods onto the CPU-rich models constrained pods need
 * (gpuspec33: T4 pods turned away, G2 left idle). Zero on nodes whose host resources are not tracked.
 *
 * The model charge has no tuned constant: each milli the placement takes (or strands) on a node of
 * model m costs the model's scarcity for constrained pods (createModelScarcity: their demand's share
 * over the share of GPUs assumed for m, half what the cluster holds and half an equal split), in milli
 * of expected demand turned away, the unit FGD's fragment growth is counted in. FGD counts constrained types only where a
 * placement strands GPUs they cannot use, not where it uses up GPUs only they can use; and best fit
 * favours the small nodes scarce models often come in. Zero when no pod names a model.
 */
export function createPhalanxPolicy(weights: PhalanxWeights = PHALANX_WEIGHTS): PlacementPolicy {
  const { bestFit, stranded } = weights;
  const stats = new PodTypeStats();
  const scorer = createFragmentationScorer(stats);
  const scarcity = createModelScarcity(stats);
  const unconstrained = createUnconstrainedShare(stats);
  // Every term reads the node only through its model and free view: placement may share scores
  // between nodes alike but for their names (score-class-cache.ts).
  return markScoredByFreeView({
    name: 'phalanx',
    score: (candidate) => {
      const strandedMilli = strandedGpuMilli(candidate);
      return (
        -scorer.fragmentIncrease(candidate) -
        bestFit * leftover(candidate) -
        stranded * unconstrained() * strandedMilli -
        scarcity.of(candidate.node.inventory.model) * (takenGpuMilli(candidate) + strandedMilli)
      );
    },
    observe: (demand) => scorer.observe(demand),
    observeCapacity: (gpusByModel) => scarcity.observeCapacity(gpusByModel),
    version: () => scorer.version(),
  });
}
