// Feasibility and scoring of one pod on one node: the shared step under filter, prioritize and bind.
// kube-scheduler calls filter and prioritize for every pod over every node, while a bind changes
// only one node; so results are cached per node name and demand shape (and policy version), and a
// node's entries are dropped whenever the ledger reports a change to it.
import { LRUCache } from 'lru-cache';
import type { ClusterState } from '../../core/cluster-state.js';
import { candidateAssignments, explainNoFit } from '../../core/ledger/device-fit.js';
import { formatMilli } from '../../core/quantity.js';
import type { Candidate, PlacementPolicy } from '../../core/policies/policy.js';
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

export type NodeFit =
  | { readonly kind: 'fits'; readonly candidates: readonly Assignment[]; readonly node: NodeGpuState }
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

function computeFit(node: NodeGpuState, demand: PodDemand): NodeFit {
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
  const candidates = candidateAssignments(node, demand);
  if (candidates.length === 0) {
    return { kind: 'unschedulable', reason: explainNoFit(node, demand), cause: RejectCause.noRoom };
  }
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

/** Past this many demand shapes (or policy/shape keys) a cache starts afresh; real clusters have few. */
const MAX_KEYS = 256;

/**
 * Node names the NodeListMemo keeps across all its entries (each entry holds its request's list):
 * enough for every key over a 15 000-node cluster's lists many times over, yet bounded whatever
 * requests send. Least recently used entries go first.
 */
const MEMO_MAX_NAMES = 1_000_000;

/**
 * Fits and best scores per node name, one table per demand shape (and per policy + shape). A verb
 * over 5000 nodes costs one Map lookup per node while nothing changed; the ledger's change
 * listener drops a node's entries the moment its state changes, and a new policy version starts its
 * table afresh. Only nodes the cluster view holds are cached: a name it does not know is answered
 * "unknown node" at once and kept nowhere, so the tables hold at most MAX_KEYS × known nodes.
 */
export class PlacementCache {
  readonly #state: ClusterState;
  readonly #fits = new Map<string, Map<string, NodeFit>>();
  readonly #scores = new Map<string, { version: number; byNode: Map<string, ScoredAssignment | null> }>();
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
      fit = computeFit(node, demand);
      table.set(nodeName, fit);
    }
    return fit;
  }

  /** The score table of one policy version and demand shape: node name → best (null: no fit). */
  scoresFor(policy: PlacementPolicy, shape: string): Map<string, ScoredAssignment | null> {
    const key = `${policy.name}:${shape}`;
    const version = policy.version?.() ?? 0;
    let entry = this.#scores.get(key);
    if (entry === undefined || entry.version !== version) {
      if (entry === undefined && this.#scores.size >= MAX_KEYS) this.#scores.clear();
      this.#scores.set(key, (entry = { version, byNode: new Map<string, ScoredAssignment | null>() }));
    }
    return entry.byNode;
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
      best = fit.kind === 'fits' ? (bestCandidate(policy, fit.node, fit.candidates, demand) ?? null) : null;
      scores.set(nodeName, best);
    }
    return best ?? undefined;
  }

  /** Entries held (fits and scores, over every table): bounded by the tables × the nodes the cluster knows. */
  size(): { readonly fits: number; readonly scores: number; readonly tables: number } {
    let fits = 0;
    let scores = 0;
    for (const table of this.#fits.values()) fits += table.size;
    for (const entry of this.#scores.values()) scores += entry.byNode.size;
    return { fits, scores, tables: this.#fits.size + this.#scores.size };
  }

  /** Changes the ledger has reported so far; equal values mean no node changed in between. */
  generation(): number {
    return this.#generation;
  }

  #forget(node: string): void {
    this.#generation++;
    for (const table of this.#fits.values()) table.delete(node);
    for (const entry of this.#scores.values()) entry.byNode.delete(node);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface MemoEntry<T> {
  readonly table: object;
  readonly generation: number;
  readonly names: readonly string[];
  readonly value: T;
}

/**
 * A verb's last result per key (demand shape, or policy + shape) over a whole node list.
 * kube-scheduler asks again over the same list for every pod; while no node changed and the key's
 * cache table is the same one (same policy version), the answer is the same, so it costs one string
 * comparison per node instead of a hashed lookup plus a new result. Values are shared: callers must
 * not mutate them.
 */
export class NodeListMemo<T> {
  readonly #cache: PlacementCache;
  /** Bounded by entries and by the node names they hold (a request's list can be long). */
  readonly #entries = new LRUCache<string, MemoEntry<T>>({
    max: MAX_KEYS,
    maxSize: MEMO_MAX_NAMES,
    sizeCalculation: (entry) => entry.names.length + 1,
  });

  constructor(cache: PlacementCache) {
    this.#cache = cache;
  }

  /** Entries held and the node names they keep, for tests and status pages. */
  size(): { readonly entries: number; readonly names: number } {
    return { entries: this.#entries.size, names: this.#entries.calculatedSize };
  }

  get(key: string, table: object, names: readonly string[], compute: () => T): T {
    const generation = this.#cache.generation();
    const entry = this.#entries.get(key);
    if (
      entry !== undefined &&
      entry.table === table &&
      entry.generation === generation &&
      sameNames(entry.names, names)
    ) {
      return entry.value;
    }
    const value = compute();
    // A list longer than the whole budget is not kept (lru-cache refuses it): computed each time.
    if (names.length + 1 <= MEMO_MAX_NAMES) this.#entries.set(key, { table, generation, names, value });
    else this.#entries.delete(key);
    return value;
  }
}
