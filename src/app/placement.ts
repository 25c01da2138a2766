// Feasibility and scoring of one pod on one node: the shared step under filter, prioritize and bind.
// kube-scheduler calls filter and prioritize for every pod over every node, while a bind changes
// only one node; the ledger hands out one frozen NodeGpuState per node version, so results are
// cached per (node state, demand shape[, policy version]) and recomputed only for changed nodes.
import type { ClusterState } from '../core/cluster-state.js';
import { candidateAssignments, explainNoFit } from '../core/ledger/device-fit.js';
import { formatMilli } from '../core/quantity.js';
import type { Candidate, PlacementPolicy } from '../core/policies/policy.js';
import type { Assignment, NodeGpuState, PodDemand } from '../core/types.js';

export type NodeFit =
  | { readonly kind: 'fits'; readonly candidates: readonly Assignment[]; readonly node: NodeGpuState }
  /** Could fit if something were evicted. */
  | { readonly kind: 'unschedulable'; readonly reason: string }
  /** Cannot fit whatever is evicted. */
  | { readonly kind: 'unresolvable'; readonly reason: string };

export interface ScoredAssignment {
  readonly assignment: Assignment;
  readonly score: number;
}

function demandSize(demand: PodDemand): string {
  switch (demand.gpu.kind) {
    case 'whole':
      return `${demand.gpu.count} GPU`;
    case 'fraction':
      return formatMilli(demand.gpu.milli);
    case 'memory':
      return `${Math.ceil(demand.gpu.memoryBytes / 2 ** 20)}Mi of GPU memory`;
    case 'none':
      return 'no GPU';
  }
}

const NO_GPUS: NodeFit = { kind: 'unresolvable', reason: 'node has no GPUs' };

function computeFit(node: NodeGpuState, demand: PodDemand): NodeFit {
  const inv = node.inventory;
  if (node.devices.length === 0) return NO_GPUS;
  if (demand.models && demand.models.length > 0 && !demand.models.includes(inv.model)) {
    return {
      kind: 'unresolvable',
      reason: `GPU model ${inv.model || 'unknown'} not in ${demand.models.join('|')}`,
    };
  }
  if (demand.gpu.kind === 'whole' && demand.gpu.count > node.devices.length) {
    return {
      kind: 'unresolvable',
      reason: `node has ${node.devices.length} GPUs, pod needs ${demandSize(demand)}`,
    };
  }
  const candidates = candidateAssignments(node, demand);
  if (candidates.length === 0) return { kind: 'unschedulable', reason: explainNoFit(node, demand) };
  return { kind: 'fits', candidates, node };
}

/** The best of the given candidates on one node by policy; ties keep the first (lowest indices). */
export function bestCandidate(
  policy: PlacementPolicy,
  node: NodeGpuState,
  candidates: readonly Assignment[],
  demand: PodDemand,
): ScoredAssignment | undefined {
  let best: ScoredAssignment | undefined;
  for (const assignment of candidates) {
    const candidate: Candidate = { node, assignment, demand };
    const score = policy.score(candidate);
    if (!best || score > best.score) best = { assignment, score };
  }
  return best;
}

/** The part of a demand that decides fit and score; pods of one shape share cache entries. */
export function demandShapeKey(demand: PodDemand): string {
  return JSON.stringify([demand.gpu, demand.models ?? null]);
}

/** Cache key of a policy's scores for one demand shape; computed once per verb call. */
export function scoreKey(policy: PlacementPolicy, shape: string): string {
  return `${policy.name}@${policy.version?.() ?? 0}:${shape}`;
}

export class PlacementCache {
  readonly #state: ClusterState;
  #fits = new WeakMap<NodeGpuState, Map<string, NodeFit>>();
  #scores = new WeakMap<NodeGpuState, Map<string, ScoredAssignment>>();

  constructor(state: ClusterState) {
    this.#state = state;
  }

  /** Static mismatches that no eviction can cure come first, then live capacity. */
  fit(nodeName: string, demand: PodDemand, shape = demandShapeKey(demand)): NodeFit {
    const node = this.#state.nodeState(nodeName);
    if (!node) return NO_GPUS;
    let perNode = this.#fits.get(node);
    if (!perNode) this.#fits.set(node, (perNode = new Map<string, NodeFit>()));
    let fit = perNode.get(shape);
    if (!fit) perNode.set(shape, (fit = computeFit(node, demand)));
    return fit;
  }

  /** The best candidate on the node by policy (ties keep the lowest device indices), or undefined. */
  best(
    policy: PlacementPolicy,
    nodeName: string,
    demand: PodDemand,
    shape = demandShapeKey(demand),
    key = scoreKey(policy, shape),
  ): ScoredAssignment | undefined {
    const fit = this.fit(nodeName, demand, shape);
    if (fit.kind !== 'fits') return undefined;
    let perNode = this.#scores.get(fit.node);
    if (!perNode) this.#scores.set(fit.node, (perNode = new Map<string, ScoredAssignment>()));
    let best = perNode.get(key);
    if (!best) {
      best = bestCandidate(policy, fit.node, fit.candidates, demand);
      if (!best) return undefined;
      perNode.set(key, best);
    }
    return best;
  }
}
