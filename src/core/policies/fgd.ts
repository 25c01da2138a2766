// Fragmentation Gradient Descent (Weng et al., USENIX ATC'23): place each pod where the expected
// fragmentation of the node, measured against the workload's pod-type distribution, grows the
// least. The distribution is learned from observed demands (PodTypeStats).
import { fragmentAfter, fragmentBasis, type FragmentBasis } from './fragment-delta.js';
import type { Candidate, PlacementPolicy } from './policy.js';
import { PodTypeStats, type PodTypeTable } from './pod-types.js';
import { markScoredByFreeView } from './score-class-cache.js';
import type { NodeGpuState, PodDemand } from '../types.js';

export interface FragmentationScorer {
  /**
   * Expected growth of the node's GPU fragment (milli-GPU, averaged over the learned pod types)
   * if the candidate is placed. Pod types without GPU count every free milli as a fragment, as in
   * the paper, so placing GPU work lowers their share.
   */
  fragmentIncrease(candidate: Candidate): number;
  observe(demand: PodDemand): void;
  /** Changes whenever the learned pod-type table (and so any score) changes. */
  version(): number;
}

/**
 * The shared machinery of fgd and phalanx: learned pod types, and each node state's fragmentation
 * figures per type (its basis, fragment-delta.ts), kept per state object while the table stands. A
 * candidate's growth is then counted from the devices it changes alone. The first pod of a new type
 * asks once per node class (placement.ts), and each answer costs types × devices used: no view of
 * the node after the placement is built, keyed or looked up.
 */
export function createFragmentationScorer(stats = new PodTypeStats()): FragmentationScorer {
  let bases = new WeakMap<NodeGpuState, FragmentBasis>();
  let basesVersion = -1;
  const basisOf = (node: NodeGpuState, table: PodTypeTable): FragmentBasis => {
    if (table.version !== basesVersion) {
      basesVersion = table.version;
      bases = new WeakMap();
    }
    let basis = bases.get(node);
    if (basis === undefined) bases.set(node, (basis = fragmentBasis(node, table)));
    return basis;
  };
  return {
    fragmentIncrease(candidate) {
      const table = stats.table();
      if (table.total === 0) return 0;
      const basis = basisOf(candidate.node, table);
      const after = fragmentAfter(basis, candidate, table);
      return (after.fragment - basis.fragment - table.gpuLess * after.taken) / table.total;
    },
    observe(demand) {
      stats.observe(demand);
    },
    version: () => stats.table().version,
  };
}

/** Scores as the kube-scheduler plugin of the paper's authors does: 0..100, integer, 50 = neutral. */
export function fgdNodeScore(fragmentIncrease: number): number {
  return Math.trunc(100 / (1 + Math.exp(fragmentIncrease / 1000)));
}

export function createFgdPolicy(stats?: PodTypeStats): PlacementPolicy {
  const scorer = createFragmentationScorer(stats);
  // Expected fragment growth reads only the free view and the (free, taken) milli of used devices.
  return markScoredByFreeView({
    name: 'fgd',
    score: (candidate) => fgdNodeScore(scorer.fragmentIncrease(candidate)),
    observe: (demand) => scorer.observe(demand),
    version: () => scorer.version(),
  });
}
