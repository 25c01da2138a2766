// Fragmentation Gradient Descent (Weng et al., USENIX ATC'23): place each pod where the expected
// fragmentation of the node, measured against the workload's pod-type distribution, grows the
// least. The distribution is learned from observed demands (PodTypeStats).
import { FragmentCache } from './fragment-cache.js';
import {
  deviceChangeKey,
  freeMilliOf,
  freeView,
  freeViewAfter,
  totalFreeMilli,
  viewKey,
} from './node-view.js';
import type { Candidate, PlacementPolicy } from './policy.js';
import { PodTypeStats, podTypeKey } from './pod-types.js';
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

/** Past this many node states (per pod type) the shared memo of that type starts afresh. */
const MAX_STATES_PER_TYPE = 100_000;

/**
 * The shared machinery of fgd and phalanx: learned pod types plus cached fragment sizes. Results
 * are memoised per (pod type, node state, devices changed), where the node state is its viewKey:
 * a large cluster has few distinct device states, so the first pod of a new type computes
 * fragmentation once per state rather than once per node, and a node that did not change costs
 * a few lookups. Everything is dropped when the type table changes.
 */
export function createFragmentationScorer(stats = new PodTypeStats()): FragmentationScorer {
  const cache = new FragmentCache();
  let memoVersion = -1;
  /** pod type → node viewKey → device change key → fragment increase. */
  let memo = new Map<string, Map<string, Map<string, number>>>();
  /** viewKey per node snapshot: independent of the type table, so kept across versions. */
  const nodeKeys = new WeakMap<NodeGpuState, string>();
  const demandKeys = new WeakMap<PodDemand, string>();
  let last: {
    node?: NodeGpuState;
    typeKey?: string;
    version: number;
    changes: Map<string, number>;
  } = { version: -1, changes: new Map() };
  const compute = (candidate: Candidate): number => {
    const table = stats.table();
    const before = cache.ofNode(candidate.node, table);
    const afterView = freeViewAfter(candidate);
    const after = cache.ofView(afterView, table);
    const taken = freeMilliOf(candidate.node) - totalFreeMilli(afterView);
    return (after - before - table.gpuLess * taken) / table.total;
  };
  const nodeKey = (node: NodeGpuState): string => {
    let key = nodeKeys.get(node);
    if (key === undefined) {
      key = viewKey(freeView(node));
      nodeKeys.set(node, key);
    }
    return key;
  };
  const statesOf = (typeKey: string): Map<string, Map<string, number>> => {
    let states = memo.get(typeKey);
    if (states === undefined || states.size >= MAX_STATES_PER_TYPE) {
      states = new Map();
      memo.set(typeKey, states);
    }
    return states;
  };
  return {
    fragmentIncrease(candidate) {
      const table = stats.table();
      if (table.total === 0) return 0;
      if (table.version !== memoVersion) {
        memoVersion = table.version;
        memo = new Map();
      }
      let typeKey = demandKeys.get(candidate.demand);
      if (typeKey === undefined) {
        typeKey = podTypeKey(candidate.demand);
        demandKeys.set(candidate.demand, typeKey);
      }
      // Callers score a node's candidates one after another: its entry is looked up once.
      let changes = last.changes;
      if (last.node !== candidate.node || last.typeKey !== typeKey || last.version !== memoVersion) {
        const states = statesOf(typeKey);
        const state = nodeKey(candidate.node);
        const known = states.get(state);
        if (known !== undefined) changes = known;
        else states.set(state, (changes = new Map<string, number>()));
        last = { node: candidate.node, typeKey, version: memoVersion, changes };
      }
      const change = deviceChangeKey(candidate);
      let value = changes.get(change);
      if (value === undefined) {
        value = compute(candidate);
        changes.set(change, value);
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
  // Expected fragment growth reads only the free view and the (free, taken) milli of used devices.
  return markScoredByFreeView({
    name: 'fgd',
    score: (candidate) => fgdNodeScore(scorer.fragmentIncrease(candidate)),
    observe: (demand) => scorer.observe(demand),
    version: () => scorer.version(),
  });
}
