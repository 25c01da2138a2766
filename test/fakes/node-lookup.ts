// In-memory NodeLookup: Node objects by name and, per node, what the pods bound there take.
import { EMPTY_USAGE, type NodeUsage } from '../../src/core/eligibility/node-eligibility.js';
import type { NodeLookup } from '../../src/core/gang/member-fit.js';
import type { NodeShape } from '../../src/core/kube-shapes.js';

export class FakeNodeLookup implements NodeLookup {
  readonly nodes = new Map<string, NodeShape>();
  readonly usages = new Map<string, NodeUsage>();

  constructor(nodes: readonly NodeShape[] = []) {
    for (const node of nodes) this.nodes.set(node.metadata?.name ?? '', node);
  }

  node(name: string): NodeShape | undefined {
    return this.nodes.get(name);
  }

  usage(name: string): NodeUsage {
    return this.usages.get(name) ?? EMPTY_USAGE;
  }

  labelOf(node: string, key: string): string | undefined {
    return this.nodes.get(node)?.metadata?.labels?.[key];
  }

  distinctValues(key: string): number {
    return new Set([...this.nodes.keys()].map((n) => this.labelOf(n, key)).filter((v) => v !== undefined))
      .size;
  }
}
