// Whether a pod fits one node, and why not: static mismatches no eviction cures (no GPUs, another
// model, too few GPUs), then live capacity. A node class's fit (classFit) lists one candidate per
// device state, as the class's scoring needs; a node decided alone (nodeFit) lists all of them.
import { candidateAssignments, distinctStateCandidates, explainNoFit } from '../../core/ledger/device-fit.js';
import { formatMilli } from '../../core/quantity.js';
import type { Assignment, NodeGpuState, PodDemand } from '../../core/types.js';

/**
 * Causes of a rejection, for metrics: a fixed set (reasons name nodes, devices and gangs), so the
 * rejection counter has at most this many series whatever requests say.
 */
export const RejectCause = {
  noGpus: 'node has no GPUs',
  model: 'GPU model not allowed',
  tooFewGpus: 'node has too few GPUs',
  noRoom: 'no free GPU capacity',
  /** A node name the cluster view does not hold (yet): never cached, so invented names cost nothing. */
  unknownNode: 'unknown node',
  /** The pod's request is invalid (the reason names the field). */
  invalidRequest: 'invalid request',
  /** A gang member planned on another node than this one. */
  gangPlannedElsewhere: 'gang member planned on another node',
  /** A gang that waits (for members, capacity or a replan). */
  gangWaiting: 'gang waiting',
  /** A gang that cannot be placed on these nodes. */
  gangUnplaceable: 'gang cannot be placed',
} as const;

/** Every value of RejectCause: the only `reason` labels of the filter rejection metric (besides "other"). */
export const REJECT_CAUSES: ReadonlySet<string> = new Set(Object.values(RejectCause));

/**
 * Some device set fits on every node of a class. `node`: the node the fit was decided on, on which
 * the class's best is scored.
 */
export class FitsInClass {
  readonly kind = 'fits';
  readonly node: NodeGpuState;
  /** The node's candidates, listed to decide the fit: kept for the first scoring only. */
  #candidates: readonly Assignment[] | undefined;

  constructor(node: NodeGpuState, candidates: readonly Assignment[]) {
    this.node = node;
    this.#candidates = candidates;
  }

  /** The node's candidates; the first call hands over those listed for the fit (not kept after). */
  takeCandidates(demand: PodDemand): readonly Assignment[] {
    const listed = this.#candidates;
    this.#candidates = undefined;
    return listed ?? candidateAssignments(this.node, demand);
  }
}

export type NodeFit =
  | FitsInClass
  /** Some device set fits this node (decided for it alone): its candidates and state. */
  | { readonly kind: 'fits'; readonly candidates: readonly Assignment[]; readonly node: NodeGpuState }
  /** Could fit if something were evicted. */
  | { readonly kind: 'unschedulable'; readonly reason: string; readonly cause: string }
  /** Cannot fit whatever is evicted. */
  | { readonly kind: 'unresolvable'; readonly reason: string; readonly cause: string };

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

const NO_GPUS: NodeFit = { kind: 'unresolvable', reason: 'node has no GPUs', cause: RejectCause.noGpus };
export const UNKNOWN_NODE: NodeFit = {
  kind: 'unresolvable',
  reason: 'unknown node (not in the cluster view yet)',
  cause: RejectCause.unknownNode,
};

/**
 * No free capacity on one node. The reason names the node and its devices, so it is written only
 * when read: kube-scheduler reads reasons only when no node fits at all.
 */
export class NoRoom {
  readonly kind = 'unschedulable';
  readonly cause = RejectCause.noRoom;
  readonly #node: NodeGpuState;
  readonly #demand: PodDemand;
  #reason: string | undefined;

  constructor(node: NodeGpuState, demand: PodDemand) {
    this.#node = node;
    this.#demand = demand;
  }

  get reason(): string {
    return (this.#reason ??= explainNoFit(this.#node, this.#demand));
  }
}

/** A class's answer is a fit, a node-independent rejection, or this (the reason is per node). */
export const NO_ROOM_IN_CLASS: NodeFit = { kind: 'unschedulable', reason: '', cause: RejectCause.noRoom };

/** Whether the pod fits a node of this class; the same for every node of it (see node-classes.ts). */
export function classFit(node: NodeGpuState, demand: PodDemand): NodeFit {
  const fit = staticMismatch(node, demand);
  if (fit !== undefined) return fit;
  // The class's evaluation scores one candidate per device state (class-best.ts): only those are listed.
  const candidates = distinctStateCandidates(node, demand);
  return candidates.length === 0 ? NO_ROOM_IN_CLASS : new FitsInClass(node, candidates);
}

/**
 * Whether classes decide the demand's fit. Every share takes at least 1 milli as parsed; a share of
 * 0 milli (possible only in a hand-built demand) would fit a shared device with every milli used but
 * not a device given whole, which node classes do not tell apart.
 */
export function classesDecide(demand: PodDemand): boolean {
  return demand.gpu.kind !== 'fraction' || demand.gpu.milli >= 1;
}

/** The fit of one node alone, with its candidates. */
export function nodeFit(node: NodeGpuState, demand: PodDemand): NodeFit {
  const fit = staticMismatch(node, demand);
  if (fit !== undefined) return fit;
  const candidates = candidateAssignments(node, demand);
  return candidates.length === 0 ? NO_ROOM_IN_CLASS : { kind: 'fits', candidates, node };
}

/** A mismatch no eviction can cure: no GPUs, another model, too few GPUs; or undefined. */
function staticMismatch(node: NodeGpuState, demand: PodDemand): NodeFit | undefined {
  const inv = node.inventory;
  if (node.devices.length === 0) return NO_GPUS;
  if (demand.models && demand.models.length > 0 && !demand.models.includes(inv.model)) {
    return {
      kind: 'unresolvable',
      reason: `GPU model ${inv.model || 'unknown'} not in ${demand.models.join('|')}`,
      cause: RejectCause.model,
    };
  }
  if (demand.gpu.kind === 'whole' && demand.gpu.count > node.devices.length) {
    return {
      kind: 'unresolvable',
      reason: `node has ${node.devices.length} GPUs, pod needs ${demandSize(demand)}`,
      cause: RejectCause.tooFewGpus,
    };
  }
  return undefined;
}
