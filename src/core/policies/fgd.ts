// Fragmentation Gradient Descent (Weng et al., USENIX ATC'23): place each pod where the expected
// fragmentation of the node, measured against the workload's pod-type distribution, grows the
// least. The distribution is learned from observed demands (PodTypeStats).
import { FragmentCache } from './fragment-cache.js';
import { freeView, freeViewAfter, totalFreeMilli } from './node-view.js';
import type { Candidate, PlacementPolicy } from './policy.js';
import { PodTypeStats, podTypeKey } from './pod-types.js';
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
 * The shared machinery of fgd and phalanx: learned pod types plus cached fragment sizes. Results
 * are memoised per node snapshot and (pod type, devices), so a node that did not change since the
 * last pod of the same type costs one lookup; everything is dropped when the type table changes.
 */
export function createFragmentationScorer(stats = new PodTypeStats()): FragmentationScorer {
  const cache = new FragmentCache();
  let memoVersion = -1;
  let memo = new WeakMap<NodeGpuState, Map<string, number[]>>();
  const demandKeys = new WeakMap<PodDemand, string>();
  const compute = (candidate: Candidate): number => {
    const table = stats.table();
    const before = cache.ofNode(candidate.node, table);
    const afterView = freeViewAfter(candidate);
    const after = cache.ofView(afterView, table);
    const taken = totalFreeMilli(freeView(candidate.node)) - totalFreeMilli(afterView);
    return (after - before - table.gpuLess * taken) / table.total;
  };
  return {
    fragmentIncrease(candidate) {
      const table = stats.table();
      if (table.total === 0) return 0;
      if (table.version !== memoVersion) {
        memoVersion = table.version;
        memo = new WeakMap();
      }
      let typeKey = demandKeys.get(candidate.demand);
      if (typeKey === undefined) {
        typeKey = podTypeKey(candidate.demand);
        demandKeys.set(candidate.demand, typeKey);
      }
      let perNode = memo.get(candidate.node);
      if (perNode === undefined) {
        perNode = new Map();
        memo.set(candidate.node, perNode);
      }
      let perDevice = perNode.get(typeKey);
      if (perDevice === undefined) {
        perDevice = [];
        perNode.set(typeKey, perDevice);
      }
      // For one pod type on one node state, a candidate is identified by its first device: shares
      // name one device, and whole-device sets of different NVLink islands are disjoint.
      const slot = candidate.assignment.devices[0]?.index ?? 0;
      let value = perDevice[slot];
      if (value === undefined) {
        value = compute(candidate);
        perDevice[slot] = value;
      }
      return value;
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
  return {
    name: 'fgd',
    score: (candidate) => fgdNodeScore(scorer.fragmentIncrease(candidate)),
    observe: (demand) => scorer.observe(demand),
    version: () => scorer.version(),
  };
}
