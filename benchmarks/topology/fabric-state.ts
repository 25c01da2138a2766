// Free capacity of the fabric as gangs land, and what a gang could have achieved when it arrived:
// whether one clique / one rack had room for all its members, and the fewest cliques that could
// hold it. A member needs `gpus` whole GPUs on one node. With pools (`--pools`), a gang can use the
// nodes of its pool only: what it could have achieved counts that pool's cliques and racks alone.

export interface FabricNodeInfo {
  readonly name: string;
  readonly gpus: number;
  readonly clique: string;
  readonly rack: string;
  /** Pool the node belongs to (`--pools`). */
  readonly pool?: string;
}

export interface Possibilities {
  readonly fitsClique: boolean;
  readonly fitsRack: boolean;
  /** Fewest cliques whose free slots add up to the gang; undefined when the fabric cannot hold it. */
  readonly minCliques: number | undefined;
}

export class FabricState {
  private readonly free = new Map<string, number>();
  private readonly nodes: readonly FabricNodeInfo[];
  readonly capacity: number;

  constructor(nodes: readonly FabricNodeInfo[]) {
    this.nodes = nodes;
    for (const n of nodes) this.free.set(n.name, n.gpus);
    this.capacity = nodes.reduce((s, n) => s + n.gpus, 0);
  }

  /** GPUs of one pool's nodes (of every node without a pool). */
  capacityOf(pool?: string): number {
    return this.nodes.reduce((s, n) => s + (pool === undefined || n.pool === pool ? n.gpus : 0), 0);
  }

  take(node: string, gpus: number): void {
    const left = this.free.get(node);
    if (left !== undefined) this.free.set(node, left - gpus);
  }

  /** Share of the GPUs allocated, of the whole fabric or of one pool's nodes. */
  allocatedFraction(pool?: string): number {
    let free = 0;
    let capacity = 0;
    for (const n of this.nodes) {
      if (pool !== undefined && n.pool !== pool) continue;
      free += Math.max(0, this.free.get(n.name) ?? 0);
      capacity += n.gpus;
    }
    return capacity === 0 ? 0 : 1 - free / capacity;
  }

  /** Member slots (nodes × floor(free / gpus)) per domain, over one pool's nodes when `pool` is given. */
  slotsBy(key: 'clique' | 'rack', gpus: number, pool?: string): Map<string, number> {
    const slots = new Map<string, number>();
    for (const n of this.nodes) {
      if (pool !== undefined && n.pool !== pool) continue;
      const s = Math.floor(Math.max(0, this.free.get(n.name) ?? 0) / gpus);
      slots.set(n[key], (slots.get(n[key]) ?? 0) + s);
    }
    return slots;
  }

  possibilities(members: number, gpus: number, pool?: string): Possibilities {
    const cliques = [...this.slotsBy('clique', gpus, pool).values()].sort((a, b) => b - a);
    const racks = [...this.slotsBy('rack', gpus, pool).values()];
    let covered = 0;
    let minCliques: number | undefined;
    for (let i = 0; i < cliques.length; i++) {
      covered += cliques[i] ?? 0;
      if (covered >= members) {
        minCliques = i + 1;
        break;
      }
    }
    return {
      fitsClique: (cliques[0] ?? 0) >= members,
      fitsRack: racks.some((s) => s >= members),
      minCliques,
    };
  }
}
