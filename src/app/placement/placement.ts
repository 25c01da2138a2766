// Feasibility and scoring of one pod on one node: the shared step under filter, prioritize and bind.
// kube-scheduler calls filter and prioritize for every pod over every node, while a bind changes
// only one node; so results are cached per node name and demand shape (and policy version), and a
// node's entries are dropped whenever the ledger reports a change to it. Underneath, fits (and the
// scores of policies scored by free view) are computed once per node class (node-classes.ts), so a
// new shape costs one evaluation per class rather than per node.
import { NodeClasses, type NodeClass } from './node-classes.js';
import type { ClusterState } from '../../core/cluster-state.js';
import { candidateAssignments, explainNoFit } from '../../core/ledger/device-fit.js';
import { formatMilli } from '../../core/quantity.js';
import type { Candidate, PlacementPolicy } from '../../core/policies/policy.js';
import { isScoredByFreeView } from '../../core/policies/score-class-cache.js';
import type { Assignment, DeviceShare, NodeGpuState, PodDemand } from '../../core/types.js';

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

export type NodeFit =
  /**
   * Some device set fits, on every node of the class (PlacementCache.best picks one). `candidates`:
   * this node's, listed at filter time while the cache's scores are computed node by node.
   */
  | {
      readonly kind: 'fits';
      /** Set when the fit was decided for the node's class. */
      readonly nodeClass?: PlacementClass;
      /** Set when the fit was decided for this node alone: its candidates and state. */
      readonly candidates?: readonly Assignment[];
      readonly node?: NodeGpuState;
    }
  /** Could fit if something were evicted. */
  | { readonly kind: 'unschedulable'; readonly reason: string; readonly cause: string }
  /** Cannot fit whatever is evicted. */
  | { readonly kind: 'unresolvable'; readonly reason: string; readonly cause: string };

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

const NO_GPUS: NodeFit = { kind: 'unresolvable', reason: 'node has no GPUs', cause: RejectCause.noGpus };
const UNKNOWN_NODE: NodeFit = {
  kind: 'unresolvable',
  reason: 'unknown node (not in the cluster view yet)',
  cause: RejectCause.unknownNode,
};

/**
 * No free capacity on one node. The reason names the node and its devices, so it is written only
 * when read: kube-scheduler reads reasons only when no node fits at all.
 */
class NoRoom {
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
const NO_ROOM_IN_CLASS: NodeFit = { kind: 'unschedulable', reason: '', cause: RejectCause.noRoom };

/** Whether the pod fits a node of this class; the same for every node of it (see node-classes.ts). */
function classFit(node: NodeGpuState, nodeClass: PlacementClass, demand: PodDemand): NodeFit {
  const fit = staticMismatch(node, demand);
  if (fit !== undefined) return fit;
  if (candidateAssignments(node, demand).length === 0) return NO_ROOM_IN_CLASS;
  return Object.freeze({ kind: 'fits', nodeClass });
}

/** The fit of one node alone, with its candidates. */
function nodeFit(node: NodeGpuState, demand: PodDemand): NodeFit {
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

/** Past this many demand shapes (or policy/shape keys) a cache starts afresh; real clusters have few. */
export const MAX_KEYS = 256;

/**
 * A class's best choice under a policy scored by free view: the score, and the device states whose
 * candidates reach it (with the share each takes). No winners: not shareable (a NaN score, whose
 * tie-breaking depends on order), so nodes of the class are scored one by one.
 */
interface ClassBest {
  readonly score: number;
  readonly winners?: ReadonlyMap<string, DeviceShare>;
  /** Whole-device pods: every candidate scores alike, so each node's first candidate is its best. */
  readonly firstCandidate?: true;
}

/**
 * A node's best from its class's: the score is known, the devices are picked when first read (only
 * bind reads them; prioritize over 5000 nodes reads scores alone).
 */
class ClassBestOnNode implements ScoredAssignment {
  readonly score: number;
  readonly #node: NodeGpuState;
  readonly #demand: PodDemand;
  readonly #shared: ClassBest;
  readonly #classes: NodeClasses<ClassAnswers>;
  #assignment: Assignment | undefined;

  constructor(node: NodeGpuState, demand: PodDemand, shared: ClassBest, classes: NodeClasses<ClassAnswers>) {
    this.score = shared.score;
    this.#node = node;
    this.#demand = demand;
    this.#shared = shared;
    this.#classes = classes;
  }

  get assignment(): Assignment {
    return (this.#assignment ??= this.#pick());
  }

  /**
   * The first device (in node order) whose state reaches the best score: what scoring every
   * candidate in order and keeping the first maximum picks. The class guarantees one exists.
   */
  #pick(): Assignment {
    const node = this.#node;
    const winners = this.#shared.winners;
    if (winners !== undefined) {
      for (const device of node.devices) {
        const share = winners.get(this.#classes.signature(device));
        if (share !== undefined) {
          const devices = [{ index: device.index, milli: share.milli, memoryBytes: share.memoryBytes }];
          return { node: node.inventory.name, whole: false, devices };
        }
      }
    }
    const first = candidateAssignments(node, this.#demand)[0];
    if (first === undefined) throw new Error(`node ${node.inventory.name}: no candidate left in its class`);
    return first;
  }
}

/** What a node class holds for the placement cache: its answers per shape and per score table. */
interface ClassAnswers {
  readonly fits: Map<string, NodeFit>;
  /** ScoresByNode.id → the class's best choice under that table's policy version. */
  readonly best: Map<number, ClassBest>;
}

type PlacementClass = NodeClass<ClassAnswers>;

/** Scores of one policy + shape at one policy version: node name → best (null: no fit). */
class ScoresByNode extends Map<string, ScoredAssignment | null> {
  /** Keys the classes' shared choices (ClassAnswers.best) without holding on to the table. */
  readonly id: number;
  readonly version: number;
  /** Whether the policy is scored by free view (classes share its choices); set on first use. */
  sharedByClass: boolean | undefined;

  constructor(id: number, version: number) {
    super();
    this.id = id;
    this.version = version;
  }
}

/**
 * Fits and best scores per node name, one table per demand shape (and per policy + shape). A verb
 * over 5000 nodes costs one Map lookup per node while nothing changed; the ledger's change
 * listener drops a node's entries the moment its state changes, and a new policy version starts its
 * table afresh. Only nodes the cluster view holds are cached: a name it does not know is answered
 * "unknown node" at once and kept nowhere, so the tables hold at most MAX_KEYS × known nodes.
 * A miss is answered from the node's class when the class was evaluated already (per shape, and per
 * policy version for scores); class answers never go stale, since a changed node has a new class.
 */
export class PlacementCache {
  readonly #state: ClusterState;
  readonly #fits = new Map<string, Map<string, NodeFit>>();
  readonly #scores = new Map<string, ScoresByNode>();
  readonly #classes = new NodeClasses<ClassAnswers>(() => ({ fits: new Map(), best: new Map() }));
  /** Score tables made so far: their ids. */
  #scoreTables = 0;
  /**
   * Whether the last score was computed node by node (a policy not scored by free view): then new
   * fits are decided per node and list the node's candidates, as the next prioritize needs them,
   * and no node class is made. True from the start, so a cluster whose policies are all scored node
   * by node keeps no classes at all: with the classes' tables alive, the first pod of a shape under
   * such a policy measured 20-30 % slower (longer young-generation collections), for no gain.
   */
  #scoredNodeByNode = true;

  /** Bumped on every ledger change to any node: a result over a node list is current while it holds. */
  #generation = 0;

  constructor(state: ClusterState) {
    this.#state = state;
    state.ledger.onNodeChange((node) => this.#forget(node));
  }

  /** The fit table of one demand shape: node name → fit, for nodes evaluated since they last changed. */
  fitsFor(shape: string): Map<string, NodeFit> {
    let table = this.#fits.get(shape);
    if (table === undefined) {
      if (this.#fits.size >= MAX_KEYS) this.#fits.clear();
      this.#fits.set(shape, (table = new Map<string, NodeFit>()));
    }
    return table;
  }

  /** Static mismatches that no eviction can cure come first, then live capacity. */
  fit(
    nodeName: string,
    demand: PodDemand,
    shape = demandShapeKey(demand),
    table = this.fitsFor(shape),
  ): NodeFit {
    let fit = table.get(nodeName);
    if (fit === undefined) {
      const node = this.#state.nodeState(nodeName);
      if (node === undefined) return UNKNOWN_NODE;
      // A policy scored node by node needs each node's candidates: listed now, with the fit, and
      // no class is looked up (both measured slower on the first pod of a shape).
      fit = this.#scoredNodeByNode ? nodeFit(node, demand) : this.#classFit(node, demand, shape);
      if (fit === NO_ROOM_IN_CLASS) fit = new NoRoom(node, demand);
      table.set(nodeName, fit);
    }
    return fit;
  }

  #classFit(node: NodeGpuState, demand: PodDemand, shape: string): NodeFit {
    const nodeClass = this.#classes.of(node);
    const fits = nodeClass.answers.fits;
    let fit = fits.get(shape);
    if (fit === undefined) {
      if (fits.size >= MAX_KEYS) fits.clear();
      fits.set(shape, (fit = classFit(node, nodeClass, demand)));
    }
    return fit;
  }

  /** The score table of one policy version and demand shape: node name → best (null: no fit). */
  scoresFor(policy: PlacementPolicy, shape: string): Map<string, ScoredAssignment | null> {
    const key = `${policy.name}:${shape}`;
    const version = policy.version?.() ?? 0;
    let table = this.#scores.get(key);
    if (table === undefined || table.version !== version) {
      if (table === undefined && this.#scores.size >= MAX_KEYS) this.#scores.clear();
      this.#scores.set(key, (table = new ScoresByNode(++this.#scoreTables, version)));
    }
    return table;
  }

  /** The best candidate on the node by policy (ties keep the lowest device indices), or undefined. */
  best(
    policy: PlacementPolicy,
    nodeName: string,
    demand: PodDemand,
    shape = demandShapeKey(demand),
    scores = this.scoresFor(policy, shape),
    fits = this.fitsFor(shape),
  ): ScoredAssignment | undefined {
    let best = scores.get(nodeName);
    if (best === undefined) {
      const fit = this.fit(nodeName, demand, shape, fits);
      if (fit === UNKNOWN_NODE) return undefined;
      const node = fit.kind === 'fits' ? this.#state.nodeState(nodeName) : undefined;
      best =
        node === undefined || fit.kind !== 'fits' ? null : this.#bestOn(policy, node, fit, demand, scores);
      scores.set(nodeName, best);
    }
    return best ?? undefined;
  }

  #bestOn(
    policy: PlacementPolicy,
    node: NodeGpuState,
    fit: Extract<NodeFit, { kind: 'fits' }>,
    demand: PodDemand,
    scores: Map<string, ScoredAssignment | null>,
  ): ScoredAssignment | null {
    // Tables come from scoresFor; a caller's own Map is scored node by node.
    const table = scores instanceof ScoresByNode ? scores : undefined;
    if (table !== undefined && table.sharedByClass === undefined)
      table.sharedByClass = demand.gpu.kind !== 'none' && isScoredByFreeView(policy);
    let shared: ClassBest | undefined;
    if (table?.sharedByClass === true) {
      const best = (fit.nodeClass ?? this.#classes.of(node)).answers.best;
      shared = best.get(table.id);
      if (shared === undefined) {
        if (best.size >= MAX_KEYS) best.clear();
        best.set(table.id, (shared = this.#evaluateClass(policy, node, demand)));
      }
    }
    if (shared === undefined || (shared.winners === undefined && shared.firstCandidate !== true)) {
      this.#scoredNodeByNode = shared === undefined;
      const candidates = fit.candidates ?? candidateAssignments(node, demand);
      return bestCandidate(policy, node, candidates, demand) ?? null;
    }
    this.#scoredNodeByNode = false;
    return new ClassBestOnNode(node, demand, shared, this.#classes);
  }

  /** Scores every candidate on one node of the class (the class's representative). */
  #evaluateClass(policy: PlacementPolicy, node: NodeGpuState, demand: PodDemand): ClassBest {
    const candidates = candidateAssignments(node, demand);
    if (demand.gpu.kind === 'whole') {
      const first = candidates[0];
      return {
        score: first === undefined ? Number.NaN : policy.score({ node, assignment: first, demand }),
        firstCandidate: true,
      };
    }
    const scored = candidates.map((assignment) => ({
      assignment,
      score: policy.score({ node, assignment, demand }),
    }));
    if (scored.some((c) => Number.isNaN(c.score))) return { score: Number.NaN };
    let top = -Infinity;
    for (const c of scored) if (c.score > top) top = c.score;
    const winners = new Map<string, DeviceShare>();
    for (const { assignment, score } of scored) {
      const share = assignment.devices[0];
      const device = node.devices.find((d) => d.index === share?.index);
      if (score === top && share !== undefined && device !== undefined) {
        winners.set(this.#classes.signature(device), share);
      }
    }
    return { score: top, winners };
  }

  /** Entries held (fits and scores, over every table): bounded by the tables × the nodes the cluster knows. */
  size(): { readonly fits: number; readonly scores: number; readonly tables: number } {
    let fits = 0;
    let scores = 0;
    for (const table of this.#fits.values()) fits += table.size;
    for (const table of this.#scores.values()) scores += table.size;
    return { fits, scores, tables: this.#fits.size + this.#scores.size };
  }

  /** Distinct node classes seen so far (see node-classes.ts). */
  classes(): number {
    return this.#classes.size();
  }

  /** Changes the ledger has reported so far; equal values mean no node changed in between. */
  generation(): number {
    return this.#generation;
  }

  #forget(node: string): void {
    this.#generation++;
    for (const table of this.#fits.values()) table.delete(node);
    for (const table of this.#scores.values()) table.delete(node);
  }
}
