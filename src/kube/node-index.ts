// The Node objects as the informer last saw them, by name: what the gang planner reads node-level
// rules from (labels, taints, cordon, readiness, allocatable), for GPU and CPU-only nodes alike.
import type { NodeShape } from '../core/kube-shapes.js';

export class NodeIndex {
  readonly #byName = new Map<string, NodeShape>();
  /** Moves on every change, so readers can cache what they derive from all nodes. */
  #version = 0;

  get version(): number {
    return this.#version;
  }

  upsert(node: NodeShape): void {
    const name = node.metadata?.name;
    if (!name) return;
    this.#byName.set(name, node);
    this.#version += 1;
  }

  remove(name: string): void {
    if (this.#byName.delete(name)) this.#version += 1;
  }

  get(name: string): NodeShape | undefined {
    return this.#byName.get(name);
  }

  names(): IterableIterator<string> {
    return this.#byName.keys();
  }
}
