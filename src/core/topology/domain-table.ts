// The domains of one topology level under small integer ids: each domain's name, its member nodes
// (as the graph's node slots, in arrival order) and its summary. A node names its domain at a level
// with one id, and a domain lists its members as numbers, not as a Set of names.
import { MutableDomainSummary, type DomainSummary, type NodeCapacity } from './domain-summary.js';

export class DomainTable {
  private readonly ids = new Map<string, number>();
  /** Indexed by domain id; undefined for an id freed by the last member leaving. */
  private readonly names: (string | undefined)[] = [];
  private readonly summaries: (MutableDomainSummary | undefined)[] = [];
  private readonly members: (number[] | undefined)[] = [];
  /** Ids of emptied domains, reused so ids stay as few as the domains alive. */
  private readonly freeIds: number[] = [];

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  nameOf(id: number): string | undefined {
    return this.names[id];
  }

  summaryOf(id: number): MutableDomainSummary | undefined {
    return this.summaries[id];
  }

  /** Member slots of the domain, in arrival order; empty for an unknown id. */
  membersOf(id: number): readonly number[] {
    return this.members[id] ?? [];
  }

  /** Domain names in creation order. */
  domainNames(): IterableIterator<string> {
    return this.ids.keys();
  }

  *entries(): Iterable<[string, DomainSummary]> {
    for (const [name, id] of this.ids) {
      const summary = this.summaries[id];
      if (summary !== undefined) yield [name, summary];
    }
  }

  /** Adds the node in `slot` to the domain (created when new) with its capacity; returns the domain id. */
  join(name: string, slot: number, capacity: NodeCapacity): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.names.length;
      this.ids.set(name, id);
      this.names[id] = name;
      this.summaries[id] = new MutableDomainSummary();
      this.members[id] = [];
    }
    this.members[id]?.push(slot);
    this.summaries[id]?.add(capacity, 1);
    return id;
  }

  /** Removes the node in `slot` with its capacity; a domain left empty is dropped and its id freed. */
  leave(id: number, slot: number, capacity: NodeCapacity): void {
    const members = this.members[id];
    const name = this.names[id];
    if (members === undefined || name === undefined) return;
    const at = members.indexOf(slot);
    if (at < 0) return;
    members.splice(at, 1);
    this.summaries[id]?.add(capacity, -1);
    if (members.length > 0) return;
    this.ids.delete(name);
    this.names[id] = undefined;
    this.summaries[id] = undefined;
    this.members[id] = undefined;
    this.freeIds.push(id);
  }
}
