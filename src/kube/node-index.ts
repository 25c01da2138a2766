// The Node objects as the informer last saw them, by name: what the gang planner reads node-level
// rules from (labels, taints, cordon, readiness, allocatable), for GPU and CPU-only nodes alike.
// Only those fields are kept: a Node from the API also carries managed fields, images and addresses
// (kilobytes per node), which thousands of nodes would hold in memory for nothing.
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
    this.#byName.set(name, schedulingFacts(node));
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

/** The parts of a Node that kube-scheduler's node rules read (core/eligibility). */
export function schedulingFacts(node: NodeShape): NodeShape {
  const ready = node.status?.conditions?.filter((c) => c.type === 'Ready');
  return {
    metadata: { name: node.metadata?.name, labels: node.metadata?.labels },
    spec: { unschedulable: node.spec?.unschedulable, taints: node.spec?.taints },
    status: {
      allocatable: node.status?.allocatable,
      ...(ready === undefined ? {} : { conditions: ready.map((c) => ({ type: c.type, status: c.status })) }),
    },
  };
}
