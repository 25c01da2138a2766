// Synthetic GPU fabric for core tests: zones → leafs → NVLink cliques → nodes × GPUs, labelled the
// way GPU Feature Discovery and Topograph label real nodes, with a seeded partial occupancy given as
// committed assignments (whole devices and fractions). Deterministic for a given seed.
import type { CommittedFact } from '../src/core/ledger/snapshot.js';
import { NodeLabel } from '../src/core/names.js';
import type { Assignment, NodeInventory, Rng } from '../src/core/types.js';

export const GIB = 1024 ** 3;

/** mulberry32: small, fast, seedable. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export interface FabricSpec {
  readonly zones: number;
  readonly leafsPerZone: number;
  readonly cliquesPerLeaf: number;
  readonly nodesPerClique: number;
  readonly gpusPerNode: number;
  /** Bytes per device; default 80Gi. 0 = unknown. */
  readonly memoryBytes?: number;
  /** NVLink islands per node (devices split evenly); default 1. */
  readonly islandsPerNode?: number;
  readonly model?: string;
  /** Probability that a device is in use (half given whole, half holding fractions); default 0. */
  readonly occupancy?: number;
  /** Every n-th node lacks the clique label (a node outside any NVLink domain); default never. */
  readonly missingCliqueEvery?: number;
  readonly seed?: number;
}

export interface Fabric {
  readonly inventories: NodeInventory[];
  /** Committed holdings making up the occupancy; they fit the inventories exactly. */
  readonly occupied: CommittedFact[];
}

export function nodeInventory(
  name: string,
  gpus: number,
  options: {
    memoryBytes?: number;
    islands?: number[][];
    labels?: Record<string, string>;
    model?: string;
    unschedulable?: boolean;
  } = {},
): NodeInventory {
  const indices = Array.from({ length: gpus }, (_, i) => i);
  return {
    name,
    devices: indices.map((index) => ({ index, memoryBytes: options.memoryBytes ?? 80 * GIB })),
    model: options.model ?? 'NVIDIA-H100-80GB-HBM3',
    islands: options.islands ?? [indices],
    labels: options.labels ?? {},
    unschedulable: options.unschedulable ?? false,
  };
}

function splitIslands(gpus: number, islands: number): number[][] {
  const per = Math.ceil(gpus / islands);
  const out: number[][] = [];
  for (let start = 0; start < gpus; start += per) {
    out.push(Array.from({ length: Math.min(per, gpus - start) }, (_, i) => start + i));
  }
  return out;
}

export function generateFabric(spec: FabricSpec): Fabric {
  const rng = seededRng(spec.seed ?? 1);
  const memoryBytes = spec.memoryBytes ?? 80 * GIB;
  const inventories: NodeInventory[] = [];
  const occupied: CommittedFact[] = [];
  let serial = 0;
  for (let z = 0; z < spec.zones; z++) {
    for (let l = 0; l < spec.leafsPerZone; l++) {
      for (let c = 0; c < spec.cliquesPerLeaf; c++) {
        for (let n = 0; n < spec.nodesPerClique; n++) {
          serial += 1;
          const name = `z${z}-l${l}-c${c}-n${n}`;
          const labels: Record<string, string> = {
            [NodeLabel.zone]: `zone-${z}`,
            [NodeLabel.leaf]: `leaf-z${z}-${l}`,
            [NodeLabel.clique]: `fabric-1.${z}${l}${c}`,
          };
          if (spec.missingCliqueEvery !== undefined && serial % spec.missingCliqueEvery === 0) {
            delete labels[NodeLabel.clique];
          }
          inventories.push(
            nodeInventory(name, spec.gpusPerNode, {
              memoryBytes,
              islands: splitIslands(spec.gpusPerNode, spec.islandsPerNode ?? 1),
              labels,
              ...(spec.model === undefined ? {} : { model: spec.model }),
            }),
          );
          occupied.push(...occupyNode(name, spec.gpusPerNode, memoryBytes, spec.occupancy ?? 0, rng));
        }
      }
    }
  }
  return { inventories, occupied };
}

function occupyNode(
  node: string,
  gpus: number,
  memoryBytes: number,
  occupancy: number,
  rng: Rng,
): CommittedFact[] {
  const facts: CommittedFact[] = [];
  for (let index = 0; index < gpus; index++) {
    if (rng.next() >= occupancy) continue;
    if (rng.next() < 0.5) {
      const assignment: Assignment = { node, whole: true, devices: [{ index, milli: 1000, memoryBytes: 0 }] };
      facts.push({ uid: `${node}/d${index}/whole`, assignment });
      continue;
    }
    let left = 1000;
    for (let k = 0; left >= 100 && k < 3; k++) {
      const milli = Math.min(left, 100 * (1 + Math.floor(rng.next() * 5)));
      left -= milli;
      const share = { index, milli, memoryBytes: Math.floor((memoryBytes * milli) / 1000) };
      facts.push({ uid: `${node}/d${index}/f${k}`, assignment: { node, whole: false, devices: [share] } });
    }
  }
  return facts;
}
