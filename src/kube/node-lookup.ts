// NodeLookup (core/gang/member-fit) over the informers' indexes: Node objects from NodeIndex, what is
// bound on each node from PodIndex. Distinct label values are counted at most once per node change.
import type { NodeUsage } from '../core/eligibility/node-eligibility.js';
import type { NodeLookup } from '../core/gang/member-fit.js';
import type { NodeShape } from '../core/kube-shapes.js';
import type { NodeIndex } from './node-index.js';
import type { PodIndex } from './pod-index.js';

const HOSTNAME = 'kubernetes.io/hostname';

export class IndexedNodeLookup implements NodeLookup {
  readonly #nodes: NodeIndex;
  readonly #pods: PodIndex;
  readonly #distinct = new Map<string, { readonly version: number; readonly count: number }>();

  constructor(nodes: NodeIndex, pods: PodIndex) {
    this.#nodes = nodes;
    this.#pods = pods;
  }

  node(name: string): NodeShape | undefined {
    return this.#nodes.get(name);
  }

  usage(name: string): NodeUsage {
    return this.#pods.usageOn(name);
  }

  /** The kubelet always sets the hostname label; a node object without it still is its own host. */
  labelOf(node: string, key: string): string | undefined {
    const value = this.#nodes.get(node)?.metadata?.labels?.[key];
    return value ?? (key === HOSTNAME && this.#nodes.get(node) !== undefined ? node : undefined);
  }

  distinctValues(key: string): number {
    const cached = this.#distinct.get(key);
    if (cached !== undefined && cached.version === this.#nodes.version) return cached.count;
    const values = new Set<string>();
    for (const name of this.#nodes.names()) {
      const value = this.labelOf(name, key);
      if (value !== undefined) values.add(value);
    }
    this.#distinct.set(key, { version: this.#nodes.version, count: values.size });
    return values.size;
  }
}
