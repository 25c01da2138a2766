// Topology domains from node labels: for each level (a label key, closest first) the nodes sharing
// a value form a domain. A node without the label is a domain of its own at that level. The
// pseudo-level "node" (each node alone) is always present, closest of all. Every domain keeps a free-
// capacity summary, updated incrementally from node state changes; one-node domains are not stored
// but read from the node's capacity.
// Heap: a node is a slot (a small integer) in flat arrays, holding its name, capacity and one
// domain id per level (domain-table.ts): ~170 B per node over three levels, where an object, an
// array of domain names and a Set entry per level per node took ~350 B (bench:extender fabric).
import {
  NO_CAPACITY,
  nodeCapacity,
  singleNodeSummary,
  type DomainSummary,
  type NodeCapacity,
} from './domain-summary.js';
import { DomainTable } from './domain-table.js';
import { NODE_LEVEL } from '../names.js';
import type { NodeGpuState } from '../types.js';

/** The domain of a node that lacks a level's label. Label values cannot start with '~'. */
export function soloDomain(node: string): string {
  return `~node:${node}`;
}

export class TopologyGraph {
  /** Configured label keys, closest first. */
  readonly levels: readonly string[];
  /** "node" followed by the configured levels. */
  readonly allLevels: readonly string[];
  /** One table per configured level, in `levels` order. */
  private readonly tables: readonly DomainTable[];
  /** Node name → slot; slots of removed nodes are reused. */
  private readonly slots = new Map<string, number>();
  private readonly slotNames: (string | undefined)[] = [];
  private readonly capacities: NodeCapacity[] = [];
  /** Domain id of slot s at configured level l: memberships[s * levels.length + l]. */
  private readonly memberships: number[] = [];
  private readonly freeSlots: number[] = [];

  constructor(levels: readonly string[]) {
    if (new Set(levels).size !== levels.length)
      throw new Error(`topology levels repeat: ${levels.join(', ')}`);
    if (levels.includes(NODE_LEVEL)) throw new Error(`"${NODE_LEVEL}" is implicit, not a configurable level`);
    this.levels = [...levels];
    this.allLevels = [NODE_LEVEL, ...levels];
    this.tables = levels.map(() => new DomainTable());
  }

  /** Adds a node or moves it to the domains its new labels name; its capacity moves with it. */
  upsertNode(name: string, labels: Readonly<Record<string, string>>): void {
    const domains = this.levels.map((level) => labels[level] || soloDomain(name));
    const existing = this.slots.get(name);
    if (existing !== undefined) {
      if (domains.every((domain, l) => this.domainAt(existing, l) === domain)) return;
      this.detach(existing);
      this.attach(existing, domains);
      return;
    }
    const slot = this.freeSlots.pop() ?? this.slotNames.length;
    this.slots.set(name, slot);
    this.slotNames[slot] = name;
    this.capacities[slot] = NO_CAPACITY;
    this.attach(slot, domains);
  }

  removeNode(name: string): void {
    const slot = this.slots.get(name);
    if (slot === undefined) return;
    this.detach(slot);
    this.slots.delete(name);
    this.slotNames[slot] = undefined;
    this.capacities[slot] = NO_CAPACITY;
    this.freeSlots.push(slot);
  }

  /** Replaces the node's contribution to its domains' summaries. False for a node not in the graph. */
  updateCapacity(name: string, state: NodeGpuState | undefined): boolean {
    const slot = this.slots.get(name);
    if (slot === undefined) return false;
    const capacity = nodeCapacity(state);
    const previous = this.capacities[slot] ?? NO_CAPACITY;
    if (capacity === previous) return true;
    this.tables.forEach((table, l) => {
      const summary = table.summaryOf(this.domainIdAt(slot, l));
      summary?.add(previous, -1);
      summary?.add(capacity, 1);
    });
    this.capacities[slot] = capacity;
    return true;
  }

  hasNode(name: string): boolean {
    return this.slots.has(name);
  }

  /** The node's domain at `level`; a node unknown to the graph is its own domain. */
  domainOf(node: string, level: string): string {
    const i = this.levelIndex(level);
    if (i === 0) return node;
    const slot = this.slots.get(node);
    return (slot === undefined ? undefined : this.domainAt(slot, i - 1)) ?? soloDomain(node);
  }

  /** The domain's nodes, in the order they joined it, as of this call. */
  nodesIn(level: string, domain: string): ReadonlySet<string> {
    const i = this.levelIndex(level);
    if (i === 0) return new Set(this.slots.has(domain) ? [domain] : []);
    const table = this.tables[i - 1];
    const id = table?.idOf(domain);
    if (table === undefined || id === undefined) return new Set();
    const names = new Set<string>();
    for (const slot of table.membersOf(id)) {
      const name = this.slotNames[slot];
      if (name !== undefined) names.add(name);
    }
    return names;
  }

  domains(level: string): string[] {
    const i = this.levelIndex(level);
    if (i === 0) return [...this.slots.keys()];
    return [...(this.tables[i - 1]?.domainNames() ?? [])];
  }

  summary(level: string, domain: string): DomainSummary | undefined {
    const i = this.levelIndex(level);
    if (i === 0) {
      const slot = this.slots.get(domain);
      return slot === undefined ? undefined : singleNodeSummary(this.capacities[slot] ?? NO_CAPACITY);
    }
    const table = this.tables[i - 1];
    const id = table?.idOf(domain);
    return id === undefined ? undefined : table?.summaryOf(id);
  }

  /** Every domain of a level with its summary: the O(domains) scan a gang search starts from. */
  *summaries(level: string): Iterable<[string, DomainSummary]> {
    const i = this.levelIndex(level);
    if (i === 0) {
      for (const [name, slot] of this.slots)
        yield [name, singleNodeSummary(this.capacities[slot] ?? NO_CAPACITY)];
      return;
    }
    yield* this.tables[i - 1]?.entries() ?? [];
  }

  private levelIndex(level: string): number {
    const i = this.allLevels.indexOf(level);
    if (i < 0) throw new Error(`unknown topology level "${level}"; known: ${this.allLevels.join(', ')}`);
    return i;
  }

  private domainIdAt(slot: number, configuredLevel: number): number {
    return this.memberships[slot * this.levels.length + configuredLevel] ?? -1;
  }

  private domainAt(slot: number, configuredLevel: number): string | undefined {
    return this.tables[configuredLevel]?.nameOf(this.domainIdAt(slot, configuredLevel));
  }

  private attach(slot: number, domains: readonly string[]): void {
    const capacity = this.capacities[slot] ?? NO_CAPACITY;
    this.tables.forEach((table, l) => {
      const domain = domains[l];
      if (domain === undefined) return;
      this.memberships[slot * this.levels.length + l] = table.join(domain, slot, capacity);
    });
  }

  private detach(slot: number): void {
    const capacity = this.capacities[slot] ?? NO_CAPACITY;
    this.tables.forEach((table, l) => table.leave(this.domainIdAt(slot, l), slot, capacity));
  }
}
