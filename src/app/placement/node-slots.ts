// Each known node's class id in a flat array (and its state next to it), so a per-class answer
// reaches a node through one hashed name lookup and a few array reads. The ledger reports every
// change to a node; both are then dropped and derived again (from its new state) when next asked.
import type { NodeClasses } from './node-classes.js';
import type { ClusterState } from '../../core/cluster-state.js';
import type { NodeGpuState } from '../../core/types.js';

const UNCLASSIFIED = -1;

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
    if (this.#state.inventory(name) === undefined) return -1;
    const added = this.#free.pop() ?? this.#slots.size;
    if (added >= this.#classIds.length) {
      const grown = new Int32Array(this.#classIds.length * 2).fill(UNCLASSIFIED);
      grown.set(this.#classIds);
      this.#classIds = grown;
    }
    this.#slots.set(name, added);
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
    if (slot === undefined) return -1;
    this.#classIds[slot] = UNCLASSIFIED;
    this.#states[slot] = undefined;
    if (this.#state.inventory(name) === undefined) {
      this.#slots.delete(name);
      this.#free.push(slot);
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
