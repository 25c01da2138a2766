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
  cpuStarvedGpuMilli,
  createCpuPerGpuMilli,
  createModelScarcity,
  createUnconstrainedShare,
  takenGpuMilli,
} from './model-demand.js';
import type { PlacementPolicy } from './policy.js';
import { PodTypeStats } from './pod-types.js';
import { markScoredByFreeView } from './score-class-cache.js';

/**
 * Milli-GPU of expected fragment growth that one unit of best-fit leftover (a whole reference node:
 * 8 GPUs and 128 vCPU) is worth. Chosen with STRANDED_WEIGHT by leave-one-family-out
 * cross-validation on openb traces (benchmarks/replay/crossval.ts, grid {80, 120, 160} x
 * {0.5, 1, 2}, tuning seeds 1-4): tuned on all four families (gpushare, multigpu, gpuspec, cpu), and
 * with any one of them held out, the choice is 160 and 1 (benchmarks/results/replay-crossval.md); a
 * probe at 240 and 320 (stranding 1) scored worse on all four. `default` is never tuned on.
 */
const BEST_FIT_WEIGHT = 160;

/**
 * Milli-GPU of expected fragment growth that one milli of free GPU left without host CPU
 * (cpuStarvedGpuMilli) is worth, for demand that names no model (see createPhalanxPolicy).
 */
const STRANDED_WEIGHT = 1;

export interface PhalanxWeights {
  readonly bestFit: number;
  readonly stranded: number;
}

export const PHALANX_WEIGHTS: PhalanxWeights = { bestFit: BEST_FIT_WEIGHT, stranded: STRANDED_WEIGHT };

/**
 * `weights` exists for the replayer's cross-validation; everything else uses the shipped ones.
 *
 * FGD counts a GPU left without host CPU only for the learned types that no longer fit, in
 * proportion to how often they come; the stranding price counts every milli of free GPU that the
 * placement leaves without CPU (cpuStarvedGpuMilli: at the CPU per GPU the learned demand asks), for
 * the share of the learned demand that names no model. A node whose CPU stays ample for its free
 * GPUs is not charged, however much CPU the pod takes; charged by the linear CPU share instead (until
 * session 11), CPU-rich nodes looked costly to CPU-heavy pods, which went to CPU-poor nodes and
 * exhausted their CPU early (benchmarks/HISTORY.md). Demand that names models is priced by the model
 * charge. Zero on nodes whose host resources are not tracked.
 *
 * The model charge has no tuned constant: each milli the placement takes on a node of model m, and
 * each milli of m it leaves without CPU, costs the model's scarcity for constrained pods
 * (createModelScarcity: their demand's share over the share of GPUs assumed for m, half what the
 * cluster holds and half an equal split), in milli of expected demand turned away, the unit FGD's
 * fragment growth is counted in. Charged on the linear CPU share, the CPU-rich T4 nodes of openb
 * looked costly to CPU-heavy work, which went to G2 and exhausted its CPU on some seeds (gpuspec33:
 * bistable in the stranding weight). FGD counts constrained types only where a placement strands GPUs
 * they cannot use, not where it uses up GPUs only they can use; and best fit favours the small nodes
 * scarce models often come in. Zero when no pod names a model.
 */
export function createPhalanxPolicy(weights: PhalanxWeights = PHALANX_WEIGHTS): PlacementPolicy {
  const { bestFit, stranded } = weights;
  const stats = new PodTypeStats();
  const scorer = createFragmentationScorer(stats);
  const scarcity = createModelScarcity(stats);
  const unconstrained = createUnconstrainedShare(stats);
  const cpuPerGpuMilli = createCpuPerGpuMilli(stats);
  // Every term reads the node only through its model and free view: placement may share scores
  // between nodes alike but for their names (score-class-cache.ts).
  return markScoredByFreeView({
    name: 'phalanx',
    score: (candidate) => {
      // GPU milli the placement leaves without CPU: priced for demand that names no model at the
      // stranding weight, and for constrained demand by the model charge.
      const starved = cpuStarvedGpuMilli(candidate, cpuPerGpuMilli());
      const modelScarcity = scarcity.of(candidate.node.inventory.model);
      return (
        -scorer.fragmentIncrease(candidate) -
        bestFit * leftover(candidate) -
        stranded * unconstrained() * starved -
        modelScarcity * (takenGpuMilli(candidate) + starved)
      );
    },
    observe: (demand) => scorer.observe(demand),
    observeCapacity: (gpusByModel) => scarcity.observeCapacity(gpusByModel),
    version: () => scorer.version(),
  });
}
