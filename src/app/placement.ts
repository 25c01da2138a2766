// Feasibility and scoring of one pod on one node: the shared step under filter, prioritize and bind.
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

/** Static mismatches that no eviction can cure come first, then live capacity. */
export function fitOnNode(state: ClusterState, nodeName: string, demand: PodDemand): NodeFit {
  const node = state.nodeState(nodeName);
  if (!node || node.devices.length === 0) return { kind: 'unresolvable', reason: 'node has no GPUs' };
  const inv = node.inventory;
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

/** The best candidate by policy, with its raw score. Ties keep the first (lowest device indices). */
export function bestCandidate(
  policy: PlacementPolicy,
  node: NodeGpuState,
  candidates: readonly Assignment[],
  demand: PodDemand,
): { assignment: Assignment; score: number } | undefined {
  let best: { assignment: Assignment; score: number } | undefined;
  for (const assignment of candidates) {
    const candidate: Candidate = { node, assignment, demand };
    const score = policy.score(candidate);
    if (!best || score > best.score) best = { assignment, score };
  }
  return best;
}
