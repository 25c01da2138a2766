// The facade the application layer works through: node inventories, the GPU ledger and the
// topology graph, kept in step. Every ledger change to a node refreshes that node's contribution
// to its domains' summaries, so the graph never lags the ledger.
import { GpuLedger, type Holding, type LedgerResult, type LedgerTotals } from './ledger/gpu-ledger.js';
import { rebuildLedger, type CommittedFact, type RejectedFact } from './ledger/snapshot.js';
import { DEFAULT_TOPOLOGY_LEVELS } from './names.js';
import { TopologyGraph } from './topology/topology-graph.js';
import type { Assignment, NodeGpuState, NodeInventory } from './types.js';

export interface ClusterStateOptions {
  /** Topology levels (node label keys), closest first. Default: clique → leaf → zone. */
  readonly levels?: readonly string[];
}

export class ClusterState {
  readonly ledger: GpuLedger;
  readonly graph: TopologyGraph;
  /** Schedulable GPUs per model; a new map object whenever a count changes (see gpusByModel). */
  private capacity: ReadonlyMap<string, number> = new Map();

  constructor(options: ClusterStateOptions = {}, ledger: GpuLedger = new GpuLedger()) {
    this.ledger = ledger;
    this.graph = new TopologyGraph(options.levels ?? DEFAULT_TOPOLOGY_LEVELS);
    for (const name of ledger.nodes()) {
      const inventory = ledger.inventory(name);
      if (inventory !== undefined) this.graph.upsertNode(name, inventory.labels);
      this.graph.updateCapacity(name, ledger.nodeState(name));
    }
    ledger.onNodeChange((node) => this.graph.updateCapacity(node, ledger.nodeState(node)));
    for (const name of ledger.nodes()) this.countCapacity(undefined, ledger.inventory(name));
  }

  /** Restart recovery: state rebuilt from inventories and bound pods' decisions, plus what was refused. */
  static restore(
    options: ClusterStateOptions,
    inventories: Iterable<NodeInventory>,
    committed: Iterable<CommittedFact>,
  ): { state: ClusterState; rejected: readonly RejectedFact[] } {
    const { ledger, rejected } = rebuildLedger(inventories, committed);
    return { state: new ClusterState(options, ledger), rejected };
  }

  /** Adds or updates a node. Returns the UIDs whose holdings no longer fit (see GpuLedger.upsertNode). */
  applyNode(inventory: NodeInventory): string[] {
    this.countCapacity(this.ledger.inventory(inventory.name), inventory);
    this.graph.upsertNode(inventory.name, inventory.labels);
    return this.ledger.upsertNode(inventory);
  }

  /** Removes a node; returns the UIDs that held devices on it. */
  deleteNode(name: string): string[] {
    this.countCapacity(this.ledger.inventory(name), undefined);
    const uids = this.ledger.removeNode(name);
    this.graph.removeNode(name);
    return uids;
  }

  /**
   * The GPUs of schedulable (not cordoned) nodes per GPU model. The same map object until a count
   * changes, so a caller may compare it by identity.
   */
  gpusByModel(): ReadonlyMap<string, number> {
    return this.capacity;
  }

  /** Moves a node's GPUs from its old inventory's model to its new one's (cordoned nodes hold none). */
  private countCapacity(before: NodeInventory | undefined, after: NodeInventory | undefined): void {
    const gpus = (n: NodeInventory | undefined): number =>
      n === undefined || n.unschedulable ? 0 : n.devices.length;
    if (before?.model === after?.model && gpus(before) === gpus(after)) return;
    const next = new Map(this.capacity);
    const add = (n: NodeInventory | undefined, sign: number): void => {
      if (n === undefined || gpus(n) === 0) return;
      const count = (next.get(n.model) ?? 0) + sign * gpus(n);
      if (count > 0) next.set(n.model, count);
      else next.delete(n.model);
    };
    add(before, -1);
    add(after, 1);
    this.capacity = next;
  }

  inventory(name: string): NodeInventory | undefined {
    return this.ledger.inventory(name);
  }

  nodeState(name: string): NodeGpuState | undefined {
    return this.ledger.nodeState(name);
  }

  nodes(): Iterable<string> {
    return this.ledger.nodes();
  }

  holding(uid: string): Holding | undefined {
    return this.ledger.holding(uid);
  }

  reserve(uid: string, assignment: Assignment, expiresAt: number): LedgerResult {
    return this.ledger.reserve(uid, assignment, expiresAt);
  }

  commit(uid: string, assignment?: Assignment): LedgerResult {
    return this.ledger.commit(uid, assignment);
  }

  release(uid: string): boolean {
    return this.ledger.release(uid);
  }

  expire(now: number): string[] {
    return this.ledger.expire(now);
  }

  /** Capacity, used and committed milli over the whole cluster, for metrics. */
  totals(): LedgerTotals {
    return this.ledger.totals();
  }
}
