// Free capacity of the fabric as gangs land, and what a gang could have achieved when it arrived:
// whether one clique / one rack had room for all its members, and the fewest cliques that could
// hold it. A member needs `gpus` whole GPUs on one node.

export interface FabricNodeInfo {
  readonly name: string;
  readonly gpus: number;
  readonly clique: string;
  readonly rack: string;
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

  take(node: string, gpus: number): void {
    const left = this.free.get(node);
    if (left !== undefined) this.free.set(node, left - gpus);
  }

  allocatedFraction(): number {
    let free = 0;
    for (const v of this.free.values()) free += Math.max(0, v);
    return this.capacity === 0 ? 0 : 1 - free / this.capacity;
  }

  /** Member slots (nodes × floor(free / gpus)) per domain. */
  slotsBy(key: 'clique' | 'rack', gpus: number): Map<string, number> {
    const slots = new Map<string, number>();
    for (const n of this.nodes) {
      const s = Math.floor(Math.max(0, this.free.get(n.name) ?? 0) / gpus);
      slots.set(n[key], (slots.get(n[key]) ?? 0) + s);
    }
    return slots;
  }

  possibilities(members: number, gpus: number): Possibilities {
    const cliques = [...this.slotsBy('clique', gpus).values()].sort((a, b) => b - a);
    const racks = [...this.slotsBy('rack', gpus).values()];
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
