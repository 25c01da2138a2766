// Memoised expected fragmentation. Scoring asks for the same node states over and over (every node
// before a placement, and the few states a placement can lead to), so results are kept per node
// state object (a node that did not change is not recomputed) and per view key (identical states
// on different nodes share one result). Everything is dropped when the pod-type table changes.
import { expectedFragment } from './fragmentation.js';
import { freeView, viewKey, type FreeView } from './node-view.js';
import type { PodTypeTable } from './pod-types.js';
import type { NodeGpuState } from '../types.js';

export class FragmentCache {
  private version = -1;
  private byKey = new Map<string, number>();
  private byNode = new WeakMap<NodeGpuState, number>();
  private readonly maxEntries: number;

  constructor(maxEntries = 200_000) {
    this.maxEntries = maxEntries;
  }

  /** Expected fragmentation of a node as it is now. */
  ofNode(node: NodeGpuState, table: PodTypeTable): number {
    this.sync(table);
    const known = this.byNode.get(node);
    if (known !== undefined) return known;
    const value = this.ofView(freeView(node), table);
    this.byNode.set(node, value);
    return value;
  }

  /** Expected fragmentation of a (possibly hypothetical) node state. */
  ofView(view: FreeView, table: PodTypeTable): number {
    this.sync(table);
    const key = viewKey(view);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const value = expectedFragment(view, table);
    if (this.byKey.size >= this.maxEntries) this.byKey.clear();
    this.byKey.set(key, value);
    return value;
  }

  private sync(table: PodTypeTable): void {
    if (table.version === this.version) return;
    this.version = table.version;
    this.byKey = new Map();
    this.byNode = new WeakMap();
  }
}
