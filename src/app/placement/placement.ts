// Feasibility and scoring of one pod on one node: the shared step under filter, prioritize and bind.
// kube-scheduler calls filter and prioritize for every pod over every node, while a bind changes
// only one node. For policies scored by free view, fits and best scores are kept per node class
// (node-classes.ts) and demand shape (and policy version): a new shape costs one evaluation per
// class, and a node reaches its class's answer through its slot (node-slots.ts). Class answers
// never go stale, since a changed node gets a new class. A policy scored node by node keeps
// results per node name, dropped whenever the ledger reports a change to the node.
import {
  ClassBestOnNode,
  evaluateClass,
  isShareable,
  type ClassBest,
  type ScoredAssignment,
} from './class-best.js';
import { NodeClasses } from './node-classes.js';
import {
  classFit,
  classesDecide,
  FitsInClass,
  NO_ROOM_IN_CLASS,
  NoRoom,
  nodeFit,
  UNKNOWN_NODE,
  type NodeFit,
} from './node-fit.js';
import { NodeSlots } from './node-slots.js';
import type { ClusterState } from '../../core/cluster-state.js';
import { candidateAssignments } from '../../core/ledger/device-fit.js';
import type { Candidate, PlacementPolicy } from '../../core/policies/policy.js';
import { isScoredByFreeView } from '../../core/policies/score-class-cache.js';
import type { Assignment, NodeGpuState, PodDemand } from '../../core/types.js';

export type { ScoredAssignment } from './class-best.js';

/** The best of the given candidates on one node by policy; ties keep the first (lowest indices). */
export function bestCandidate(
  policy: PlacementPolicy,
  node: NodeGpuState,
  candidates: readonly Assignment[],
  demand: PodDemand,
): ScoredAssignment | undefined {
  let best: ScoredAssignment | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const assignment = candidates[i]!;
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
 * Node changes remembered in order: a result over a node list computed a few binds ago is brought up
 * to date by looking at those nodes alone (NodeListMemo), not at every node of the list.
 */
const CHANGE_LOG = 64;

/**
 * Fits of one demand shape: per class id, and per node name (the Map: nodes decided alone, and
 * nodes asked for by name).
 */
class FitTable extends Map<string, NodeFit> {
  /** Class id → a FitsInClass, a rejection the same on every node of the class, or NO_ROOM_IN_CLASS. */
  readonly byClass: (NodeFit | undefined)[] = [];
}

/** Scores of one policy + shape at one policy version, kept as fits are (null: no fit). */
class ScoresByNode extends Map<string, ScoredAssignment | null> {
  readonly version: number;
  /** Class id → the class's best choice (see class-best.ts), null when the class has no fit. */
  readonly byClass: (ClassBest | null | undefined)[] = [];
  /** Whether the policy is scored by free view (classes share its choices); set on first use. */
  sharedByClass: boolean | undefined;

  constructor(version: number) {
    super();
    this.version = version;
  }
}

/**
 * Fits and best scores, one table per demand shape (and per policy version + shape). For policies
 * scored by free view a node's answer is its class's, reached through the node's slot, and the first
 * pod of a new shape evaluates each class once. The verbs' passes over a whole list
 * (rejectionCauses, scoreList) read each node's class answer through the list's kept slots: array
 * reads alone, nothing kept per node. Asked by name (a changed node after a bind, a bind itself),
 * the answer is kept under the node's name. A policy scored node by node gets its results per node
 * name. The ledger's change listener drops a node's entries the moment it changes. Only nodes the
 * cluster view holds are cached: a name it does not know is answered "unknown node" at once and
 * kept nowhere, so the tables hold at most MAX_KEYS × known nodes.
 */
export class PlacementCache {
  readonly #state: ClusterState;
  readonly #fits = new Map<string, FitTable>();
  readonly #scores = new Map<string, ScoresByNode>();
  readonly #classes: NodeClasses;
  readonly #slots: NodeSlots;
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
  /** The node of each of the last CHANGE_LOG changes, at its generation modulo CHANGE_LOG. */
  readonly #changeLog: string[] = [];

  /** `maxClasses`: node classes interned before ids are handed out afresh (see NodeClasses). */
  constructor(state: ClusterState, options: { readonly maxClasses?: number } = {}) {
    this.#state = state;
    this.#classes = new NodeClasses(() => this.#forgetClasses(), options.maxClasses);
    this.#slots = new NodeSlots(state, this.#classes);
    state.ledger.onNodeChange((node) => this.#forget(node));
  }

  /** The fit table of one demand shape. */
  fitsFor(shape: string): Map<string, NodeFit> {
    let table = this.#fits.get(shape);
    if (table === undefined) {
      if (this.#fits.size >= MAX_KEYS) this.#fits.clear();
      this.#fits.set(shape, (table = new FitTable()));
    }
    return table;
  }

  /** Keeps the slots of `names` without the positions in `skipped` (see NodeSlots.keepSublistSlots). */
  keepSublistSlots(sublist: readonly string[], names: readonly string[], skipped: readonly number[]): void {
    this.#slots.keepSublistSlots(sublist, names, skipped);
  }

  /**
   * Each node's rejection cause in `names` (undefined: it fits), as fit() decides it: one pass for
   * filter over a whole list. When classes decide, a node's answer is its class's, read through its
   * slot with nothing kept for the node (a rejection's reason, which names the node, is written
   * only when fit() is asked by name).
   */
  rejectionCauses(
    names: readonly string[],
    demand: PodDemand,
    shape = demandShapeKey(demand),
    table = this.fitsFor(shape),
  ): (string | undefined)[] {
    const causes = new Array<string | undefined>(names.length);
    if (this.#scoredNodeByNode || !(table instanceof FitTable) || !classesDecide(demand)) {
      for (let i = 0; i < names.length; i++) {
        const fit = this.fit(names[i]!, demand, shape, table);
        causes[i] = fit.kind === 'fits' ? undefined : fit.cause;
      }
      return causes;
    }
    const slots = this.#slots.slotsOf(names);
    for (let i = 0; i < names.length; i++) {
      const slot = slots[i]!;
      const fit = slot < 0 ? UNKNOWN_NODE : this.#fitOfClass(slot, names[i]!, demand, table);
      causes[i] = fit.kind === 'fits' ? undefined : fit.cause;
    }
    return causes;
  }

  /** Static mismatches that no eviction can cure come first, then live capacity. */
  fit(
    nodeName: string,
    demand: PodDemand,
    shape = demandShapeKey(demand),
    table = this.fitsFor(shape),
  ): NodeFit {
    const kept = table.get(nodeName);
    if (kept !== undefined) return kept;
    if (!this.#scoredNodeByNode && table instanceof FitTable && classesDecide(demand)) {
      const slot = this.#slots.slotOf(nodeName);
      if (slot < 0) return UNKNOWN_NODE;
      let fit = this.#fitOfClass(slot, nodeName, demand, table);
      // A node-specific rejection: its reason (written when read) describes the node.
      if (fit === NO_ROOM_IN_CLASS) fit = new NoRoom(this.#slots.stateOf(slot, nodeName), demand);
      table.set(nodeName, fit);
      return fit;
    }
    // A policy scored node by node needs each node's candidates: listed now, with the fit, and
    // no class is looked up (both measured slower on the first pod of a shape).
    return this.#fitAlone(nodeName, demand, table);
  }

  #fitAlone(nodeName: string, demand: PodDemand, table: Map<string, NodeFit>): NodeFit {
    let fit = table.get(nodeName);
    if (fit === undefined) {
      const node = this.#state.nodeState(nodeName);
      if (node === undefined) return UNKNOWN_NODE;
      fit = nodeFit(node, demand);
      if (fit === NO_ROOM_IN_CLASS) fit = new NoRoom(node, demand);
      table.set(nodeName, fit);
    }
    return fit;
  }

  /** The fit of the node's class, decided on this node when first asked for the class. */
  #fitOfClass(slot: number, nodeName: string, demand: PodDemand, table: FitTable): NodeFit {
    const id = this.#slots.classOf(slot, nodeName);
    let fit = table.byClass[id];
    if (fit === undefined) table.byClass[id] = fit = classFit(this.#slots.stateOf(slot, nodeName), demand);
    return fit;
  }

  /** The score table of one policy version and demand shape. */
  scoresFor(policy: PlacementPolicy, shape: string): Map<string, ScoredAssignment | null> {
    const key = `${policy.name}:${shape}`;
    const version = policy.version?.() ?? 0;
    let table = this.#scores.get(key);
    if (table === undefined || table.version !== version) {
      if (table === undefined && this.#scores.size >= MAX_KEYS) this.#scores.clear();
      this.#scores.set(key, (table = new ScoresByNode(version)));
    }
    return table;
  }

  /** The node's raw score by policy: its best candidate's, NaN when nothing fits (or no such node). */
  scoreOf(
    policy: PlacementPolicy,
    nodeName: string,
    demand: PodDemand,
    shape = demandShapeKey(demand),
    scores = this.scoresFor(policy, shape),
    fits = this.fitsFor(shape),
  ): number {
    return this.best(policy, nodeName, demand, shape, scores, fits)?.score ?? Number.NaN;
  }

  /**
   * Raw scores of `names` by policy (NaN: no fit, or not a node), each what best() gives the node.
   * For a policy scored by free view a node's score is its class's, read with no object made for
   * the node: prioritize over a whole list reads scores alone, and only bind needs devices. One
   * pass, with the table's checks made once.
   */
  scoreList(
    policy: PlacementPolicy,
    names: readonly string[],
    demand: PodDemand,
    shape: string,
    scores: Map<string, ScoredAssignment | null>,
    fits: Map<string, NodeFit>,
  ): number[] {
    const raw = new Array<number>(names.length);
    const tables = this.#classTables(scores, fits, policy, demand);
    if (tables === undefined) {
      for (let i = 0; i < names.length; i++)
        raw[i] = this.scoreOf(policy, names[i]!, demand, shape, scores, fits);
      return raw;
    }
    const [byClassScores, byClassFits] = tables;
    this.#scoredNodeByNode = false;
    const slots = this.#slots.slotsOf(names);
    for (let i = 0; i < names.length; i++) {
      const slot = slots[i]!;
      if (slot < 0) {
        raw[i] = Number.NaN;
        continue;
      }
      const shared = this.#classBest(policy, slot, names[i]!, demand, byClassScores, byClassFits);
      if (shared === null) raw[i] = Number.NaN;
      else if (isShareable(shared)) raw[i] = shared.score;
      else raw[i] = this.scoreOf(policy, names[i]!, demand, shape, scores, fits);
    }
    return raw;
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
    const kept = scores.get(nodeName);
    if (kept !== undefined) return kept ?? undefined;
    const tables = this.#classTables(scores, fits, policy, demand);
    if (tables !== undefined) {
      const slot = this.#slots.slotOf(nodeName);
      if (slot < 0) return undefined;
      this.#scoredNodeByNode = false;
      const [byClassScores, byClassFits] = tables;
      const shared = this.#classBest(policy, slot, nodeName, demand, byClassScores, byClassFits);
      if (shared === null || isShareable(shared)) {
        const mine =
          shared === null
            ? null
            : new ClassBestOnNode(this.#slots.stateOf(slot, nodeName), demand, shared, this.#classes);
        scores.set(nodeName, mine);
        return mine ?? undefined;
      }
    }
    return this.#bestAlone(policy, nodeName, demand, shape, scores, fits);
  }

  /**
   * The tables as the class path reads them (this cache's own, for a policy that shares its choices
   * between nodes of a class), or undefined: scored node by node.
   */
  #classTables(
    scores: Map<string, ScoredAssignment | null>,
    fits: Map<string, NodeFit>,
    policy: PlacementPolicy,
    demand: PodDemand,
  ): readonly [ScoresByNode, FitTable] | undefined {
    return scores instanceof ScoresByNode &&
      fits instanceof FitTable &&
      this.#sharedByClass(scores, policy, demand)
      ? [scores, fits]
      : undefined;
  }

  /** Whether the table's policy shares its choices between nodes of a class (decided on first use). */
  #sharedByClass(scores: ScoresByNode, policy: PlacementPolicy, demand: PodDemand): boolean {
    scores.sharedByClass ??=
      demand.gpu.kind !== 'none' && classesDecide(demand) && isScoredByFreeView(policy);
    // Scored node by node: fits decided from now on list each node's candidates (see the field).
    if (!scores.sharedByClass) this.#scoredNodeByNode = true;
    return scores.sharedByClass;
  }

  /** The node's best computed for it alone (kept per node name until the node changes). */
  #bestAlone(
    policy: PlacementPolicy,
    nodeName: string,
    demand: PodDemand,
    shape: string,
    scores: Map<string, ScoredAssignment | null>,
    fits: Map<string, NodeFit>,
  ): ScoredAssignment | undefined {
    let best = scores.get(nodeName);
    if (best === undefined) {
      const fit = this.fit(nodeName, demand, shape, fits);
      if (fit === UNKNOWN_NODE) return undefined;
      const node = fit.kind === 'fits' ? this.#state.nodeState(nodeName) : undefined;
      if (node === undefined || fit.kind !== 'fits') best = null;
      else {
        // A node's own candidates: a class's (FitsInClass) belong to the node it was evaluated on.
        const candidates = fit instanceof FitsInClass ? candidateAssignments(node, demand) : fit.candidates;
        best = bestCandidate(policy, node, candidates, demand) ?? null;
      }
      scores.set(nodeName, best);
    }
    return best ?? undefined;
  }

  /** The best choice of the node's class, evaluated when first asked (null: the class has no fit). */
  #classBest(
    policy: PlacementPolicy,
    slot: number,
    nodeName: string,
    demand: PodDemand,
    scores: ScoresByNode,
    fits: FitTable,
  ): ClassBest | null {
    const id = this.#slots.classOf(slot, nodeName);
    const known = scores.byClass[id];
    if (known !== undefined) return known;
    const fit = this.#fitOfClass(slot, nodeName, demand, fits);
    const best =
      fit instanceof FitsInClass
        ? evaluateClass(policy, fit.node, fit.takeCandidates(demand), demand, this.#classes)
        : null;
    scores.byClass[id] = best;
    return best;
  }

  /**
   * Nodes with an answer held, over every table (fits, scores): at most the tables × known nodes.
   * An answer read from its class over a list (rejectionCauses, scoreList) holds nothing for the node.
   */
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

  /**
   * The nodes changed after `generation` (a node once per change, oldest first), or undefined when
   * more changes happened since than the log keeps.
   */
  changedSince(generation: number): readonly string[] | undefined {
    const count = this.#generation - generation;
    if (count < 0 || count > CHANGE_LOG) return undefined;
    const nodes: string[] = [];
    for (let g = generation + 1; g <= this.#generation; g++) nodes.push(this.#changeLog[g % CHANGE_LOG]!);
    return nodes;
  }

  #forget(node: string): void {
    this.#generation++;
    this.#changeLog[this.#generation % CHANGE_LOG] = node;
    this.#slots.changed(node);
    for (const table of this.#fits.values()) table.delete(node);
    for (const table of this.#scores.values()) table.delete(node);
  }

  /** Class ids are handed out afresh: answers filed under the old ones mean nothing any more. */
  #forgetClasses(): void {
    this.#slots.declassifyAll();
    for (const table of this.#fits.values()) table.byClass.length = 0;
    for (const table of this.#scores.values()) table.byClass.length = 0;
  }
}
