// Topology domains from node labels: for each level (a label key, closest first) the nodes sharing
// a value form a domain. A node without the label is a domain of its own at that level. The
// pseudo-level "node" (each node alone) is always present, closest of all. Every domain keeps a free-
// capacity summary, updated incrementally from node state changes; one-node domains are not stored
// (a Set and a summary per node were a quarter of the heap per node) but read from the node's entry.
import {
  MutableDomainSummary,
  NO_CAPACITY,
  nodeCapacity,
  singleNodeSummary,
  type DomainSummary,
  type NodeCapacity,
} from './domain-summary.js';
import { NODE_LEVEL } from '../names.js';
import type { NodeGpuState } from '../types.js';

interface Domain {
  readonly nodes: Set<string>;
  readonly summary: MutableDomainSummary;
}

interface NodeEntry {
  /** Domain per level, in `allLevels` order. */
  domains: string[];
  capacity: NodeCapacity;
}

/** Position of the "node" level in `allLevels`. */
const NODE_INDEX = 0;

/** The domain of a node that lacks a level's label. Label values cannot start with '~'. */
export function soloDomain(node: string): string {
  return `~node:${node}`;
}

export class TopologyGraph {
  /** Configured label keys, closest first. */
  readonly levels: readonly string[];
  /** "node" followed by the configured levels. */
  readonly allLevels: readonly string[];
  private readonly byLevel = new Map<string, Map<string, Domain>>();
  private readonly nodes = new Map<string, NodeEntry>();

  constructor(levels: readonly string[]) {
    if (new Set(levels).size !== levels.length)
      throw new Error(`topology levels repeat: ${levels.join(', ')}`);
    if (levels.includes(NODE_LEVEL)) throw new Error(`"${NODE_LEVEL}" is implicit, not a configurable level`);
    this.levels = [...levels];
    this.allLevels = [NODE_LEVEL, ...levels];
    for (const level of this.allLevels) this.byLevel.set(level, new Map());
  }

  /** Adds a node or moves it to the domains its new labels name; its capacity moves with it. */
  upsertNode(name: string, labels: Readonly<Record<string, string>>): void {
    const domains = this.allLevels.map((level) =>
      level === NODE_LEVEL ? name : labels[level] || soloDomain(name),
    );
    const existing = this.nodes.get(name);
    if (existing !== undefined) {
      if (existing.domains.every((d, i) => d === domains[i])) return;
      this.detach(name, existing);
      existing.domains = domains;
      this.attach(name, existing);
      return;
    }
    const entry: NodeEntry = { domains, capacity: NO_CAPACITY };
    this.nodes.set(name, entry);
    this.attach(name, entry);
  }

  removeNode(name: string): void {
    const entry = this.nodes.get(name);
    if (entry === undefined) return;
    this.detach(name, entry);
    this.nodes.delete(name);
  }

  /** Replaces the node's contribution to its domains' summaries. False for a node not in the graph. */
  updateCapacity(name: string, state: NodeGpuState | undefined): boolean {
    const entry = this.nodes.get(name);
    if (entry === undefined) return false;
    const capacity = nodeCapacity(state);
    entry.domains.forEach((domain, i) => {
      if (i === NODE_INDEX) return;
      const summary = this.domain(i, domain)?.summary;
      summary?.add(entry.capacity, -1);
      summary?.add(capacity, 1);
    });
    entry.capacity = capacity;
    return true;
  }

  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  /** The node's domain at `level`; a node unknown to the graph is its own domain. */
  domainOf(node: string, level: string): string {
    const i = this.levelIndex(level);
    return this.nodes.get(node)?.domains[i] ?? (level === NODE_LEVEL ? node : soloDomain(node));
  }

  nodesIn(level: string, domain: string): ReadonlySet<string> {
    const i = this.levelIndex(level);
    if (i === NODE_INDEX) return new Set(this.nodes.has(domain) ? [domain] : []);
    return this.domain(i, domain)?.nodes ?? new Set();
  }

  domains(level: string): string[] {
    if (this.levelIndex(level) === NODE_INDEX) return [...this.nodes.keys()];
    return [...(this.byLevel.get(level)?.keys() ?? [])];
  }

  summary(level: string, domain: string): DomainSummary | undefined {
    const i = this.levelIndex(level);
    if (i === NODE_INDEX) {
      const entry = this.nodes.get(domain);
      return entry === undefined ? undefined : singleNodeSummary(entry.capacity);
    }
    return this.domain(i, domain)?.summary;
  }

  /** Every domain of a level with its summary: the O(domains) scan a gang search starts from. */
  *summaries(level: string): Iterable<[string, DomainSummary]> {
    if (this.levelIndex(level) === NODE_INDEX) {
      for (const [name, entry] of this.nodes) yield [name, singleNodeSummary(entry.capacity)];
      return;
    }
    for (const [name, domain] of this.byLevel.get(level) ?? []) yield [name, domain.summary];
  }

  private levelIndex(level: string): number {
    const i = this.allLevels.indexOf(level);
    if (i < 0) throw new Error(`unknown topology level "${level}"; known: ${this.allLevels.join(', ')}`);
    return i;
  }

  private domain(levelIndex: number, domain: string): Domain | undefined {
    const level = this.allLevels[levelIndex];
    return level === undefined ? undefined : this.byLevel.get(level)?.get(domain);
  }

  private attach(name: string, entry: NodeEntry): void {
    entry.domains.forEach((domainName, i) => {
      if (i === NODE_INDEX) return;
      const level = this.byLevel.get(this.allLevels[i] ?? '');
      if (level === undefined) return;
      let domain = level.get(domainName);
      if (domain === undefined) {
        domain = { nodes: new Set(), summary: new MutableDomainSummary() };
        level.set(domainName, domain);
      }
      domain.nodes.add(name);
      domain.summary.add(entry.capacity, 1);
    });
  }

  private detach(name: string, entry: NodeEntry): void {
    entry.domains.forEach((domainName, i) => {
      if (i === NODE_INDEX) return;
      const level = this.byLevel.get(this.allLevels[i] ?? '');
      const domain = level?.get(domainName);
      if (level === undefined || domain === undefined) return;
      domain.nodes.delete(name);
      domain.summary.add(entry.capacity, -1);
      if (domain.nodes.size === 0) level.delete(domainName);
    });
  }
}
