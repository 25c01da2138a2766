// Each known node's class id in a flat array (and its state next to it), so a per-class answer
// reaches a node through one hashed name lookup and a few array reads. The ledger reports every
// change to a node; both are then dropped and derived again (from its new state) when next asked.
import type { NodeClasses } from './node-classes.js';
import type { ClusterState } from '../../core/cluster-state.js';
import type { NodeGpuState } from '../../core/types.js';

const UNCLASSIFIED = -1;
/** Runs of kept positions longer than this are copied in bulk (see keepSublistSlots). */
const BULK_COPY_MIN = 32;
/** Unknown names remembered (see #unknown); past this the lists' slots are all read afresh. */
const MAX_UNKNOWN_NAMES = 10_000;

export class NodeSlots {
  readonly #state: ClusterState;
  readonly #classes: NodeClasses;
  /** Known node name → its slot. Names the cluster view does not hold get none. */
  readonly #slots = new Map<string, number>();
  /** Slots of removed nodes, handed to the next new name. */
  readonly #free: number[] = [];
  /** Slot → class id of the node's current state, or UNCLASSIFIED. */
  #classIds = new Int32Array(1024).fill(UNCLASSIFIED);
  /** Slot → the node's state the class id was derived from (the ledger's own object). */
  readonly #states: (NodeGpuState | undefined)[] = [];
  /**
   * Moves whenever a name gains or loses its slot, or a name once asked for while unknown becomes a
   * node: a list's slots (slotsOf) stay right while it holds.
   */
  #membership = 0;
  /** Names asked for while the cluster view did not hold them (a list's slots hold -1 for them). */
  readonly #unknown = new Set<string>();
  /** Per node list (lists are kept and reused by the extender), its names' slots. */
  readonly #listSlots = new WeakMap<
    readonly string[],
    { readonly membership: number; readonly slots: Int32Array }
  >();

  constructor(state: ClusterState, classes: NodeClasses) {
    this.#state = state;
    this.#classes = classes;
  }

  // The lookups below are called per node per verb: each keeps its common case in a few
  // bytecodes, so the JIT inlines it into the caller (with the rare case inline, slotOf measured
  // twice as slow per node at 15 000 nodes).

  /** The node's slot, or -1 when the cluster view does not hold it (nothing is kept for it then). */
  slotOf(name: string): number {
    return this.#slots.get(name) ?? this.#add(name);
  }

  /**
   * The slot of each name in `names`, in list order (-1: a name the cluster view does not hold):
   * the verbs' loops over a whole list then reach each node's answers by array reads, without a
   * hashed lookup per name and verb (13 % of the first pod of a shape's CPU at 4896 nodes).
   */
  slotsOf(names: readonly string[]): Int32Array {
    const kept = this.#listSlots.get(names);
    if (kept !== undefined && kept.membership === this.#membership) return kept.slots;
    const slots = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) slots[i] = this.slotOf(names[i]!);
    // Read after the loop: slotOf may have handed out slots to names of this very list.
    this.#listSlots.set(names, { membership: this.#membership, slots });
    return slots;
  }

  /**
   * Keeps the slots of `sublist`, which is `names` without the positions in `skipped` (ascending),
   * from those of `names` when they are current: a filter's feasible nodes, which prioritize asks
   * about next, need no lookup of their own.
   */
  keepSublistSlots(sublist: readonly string[], names: readonly string[], skipped: readonly number[]): void {
    const all = this.#listSlots.get(names);
    if (all === undefined || all.membership !== this.#membership) return;
    const slots = new Int32Array(sublist.length);
    // Long runs of kept positions in one bulk copy each: this runs once per new feasible list (a new
    // shape, or after a bind), often in code V8 has not optimised, where a loop over 4896 nodes with
    // few rejected cost 0.3-0.9 ms against 0.02-0.1 ms for the copies. Short runs element by element:
    // each bulk copy makes a view.
    let out = 0;
    let from = 0;
    for (let k = 0; k <= skipped.length; k++) {
      const to = k < skipped.length ? skipped[k]! : names.length;
      if (to < from || to > names.length || out + (to - from) > slots.length) return;
      if (to - from > BULK_COPY_MIN) {
        slots.set(all.slots.subarray(from, to), out);
        out += to - from;
      } else {
        for (let i = from; i < to; i++) slots[out++] = all.slots[i]!;
      }
      from = to + 1;
    }
    if (out === sublist.length) this.#listSlots.set(sublist, { membership: this.#membership, slots });
  }

  /** The class id of the node in `slot` (named `name`), as it is now. */
  classOf(slot: number, name: string): number {
    const id = this.#classIds[slot]!;
    return id !== UNCLASSIFIED ? id : this.#classify(slot, name);
  }

  /** The state of the node in `slot` (named `name`), as it is now. */
  stateOf(slot: number, name: string): NodeGpuState {
    return this.#states[slot] ?? this.#lookUp(slot, name);
  }

  #add(name: string): number {
    if (this.#state.inventory(name) === undefined) {
      if (this.#unknown.size >= MAX_UNKNOWN_NAMES) {
        this.#unknown.clear();
        this.#membership++;
      }
      this.#unknown.add(name);
      return -1;
    }
    const added = this.#free.pop() ?? this.#slots.size;
    if (added >= this.#classIds.length) {
      const grown = new Int32Array(this.#classIds.length * 2).fill(UNCLASSIFIED);
      grown.set(this.#classIds);
      this.#classIds = grown;
    }
    this.#slots.set(name, added);
    this.#membership++;
    return added;
  }

  #classify(slot: number, name: string): number {
    return (this.#classIds[slot] = this.#classes.idOf(this.stateOf(slot, name)));
  }

  #lookUp(slot: number, name: string): NodeGpuState {
    const node = this.#state.nodeState(name);
    if (node === undefined) throw new Error(`node ${name}: slot ${slot} outlived the node`);
    return (this.#states[slot] = node);
  }

  /**
   * The ledger changed the node (or removed it): its class is derived again when next asked.
   * Returns the slot it held (a removed node's slot goes to the next new name), or -1.
   */
  changed(name: string): number {
    const slot = this.#slots.get(name);
    if (slot === undefined) {
      // A node that appeared under a name asked for before: a list read then holds -1 for it.
      if (this.#unknown.delete(name)) this.#membership++;
      return -1;
    }
    this.#classIds[slot] = UNCLASSIFIED;
    this.#states[slot] = undefined;
    if (this.#state.inventory(name) === undefined) {
      this.#slots.delete(name);
      this.#free.push(slot);
      this.#membership++;
    }
    return slot;
  }

  /** Class ids were handed out afresh (NodeClasses reset): every node is classified again. */
  declassifyAll(): void {
    this.#classIds.fill(UNCLASSIFIED);
  }

  /** Nodes holding a slot (for tests and status pages). */
  size(): number {
    return this.#slots.size;
  }

  /** Each node holding a slot, with its slot (for tests and status pages). */
  entries(): IterableIterator<[string, number]> {
    return this.#slots.entries();
  }
}
