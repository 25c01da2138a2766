// A synthetic fabric for the occupancy map's benchmark and preview: racks of NVL72-style cliques of
// 18 × 8-GPU nodes (as benchmarks/lib/synthetic-fabric.ts lays them out), filled to about 60% with
// a deterministic mix of 8-GPU gang members, 1-GPU pods and 0.5 / 0.25 GPU shares.
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import type { HolderPod } from '../../src/core/occupancy/occupancy-types.js';
import type { Assignment, NodeInventory } from '../../src/core/types.js';

const NODES_PER_CLIQUE = 18;
const CLIQUES_PER_RACK = 4;
const RACKS_PER_ZONE = 8;
const GPUS = 8;
const GIB = 1024 ** 3;

export interface SyntheticOccupancy {
  readonly state: ClusterState;
  readonly pods: Map<string, HolderPod>;
  readonly levels: readonly string[];
}

/** Park–Miller: the same fabric on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48_271) % 2_147_483_647) / 2_147_483_647;
}

function inventory(i: number): NodeInventory {
  const clique = Math.floor(i / NODES_PER_CLIQUE);
  const rack = Math.floor(clique / CLIQUES_PER_RACK);
  const zone = Math.floor(rack / RACKS_PER_ZONE);
  return {
    name: `gpu-${String(i).padStart(5, '0')}`,
    devices: Array.from({ length: GPUS }, (_, index) => ({ index, memoryBytes: 80 * GIB })),
    model: 'NVIDIA-H100-80GB-HBM3',
    islands: [Array.from({ length: GPUS }, (_, d) => d)],
    labels: {
      [NodeLabel.zone]: `zone-${zone}`,
      [NodeLabel.leaf]: `rack-${rack}`,
      [NodeLabel.clique]: `clique-${clique}`,
    },
    unschedulable: i % 97 === 0,
  };
}

export function syntheticOccupancy(nodes: number, seed = 7): SyntheticOccupancy {
  const state = new ClusterState();
  const pods = new Map<string, HolderPod>();
  const random = lcg(seed);
  let uid = 0;
  const hold = (pod: HolderPod, a: Assignment): void => {
    const id = `uid-${uid++}`;
    if (state.commit(id, a).ok) pods.set(id, pod);
  };
  for (let i = 0; i < nodes; i++) state.applyNode(inventory(i));
  for (let i = 0; i < nodes; i++) {
    const node = inventory(i).name;
    const r = random();
    if (r < 0.3) {
      // A member of a 4-node gang spanning neighbouring nodes of one clique.
      const gang = `train/gang-${Math.floor(i / 4)}`;
      const devices = Array.from({ length: GPUS }, (_, index) => ({ index, memoryBytes: 0, milli: 1000 }));
      hold(
        { namespace: 'train', name: `${gang.slice(6)}-${i % 4}`, gang, level: NodeLabel.clique },
        { node, whole: true, devices },
      );
      continue;
    }
    if (r < 0.55) continue; // left free
    for (let d = 0; d < GPUS; d++) {
      const kind = random();
      if (kind < 0.25) {
        hold(
          { namespace: 'batch', name: `single-${i}-${d}` },
          { node, whole: true, devices: [{ index: d, milli: 1000, memoryBytes: 0 }] },
        );
      } else if (kind < 0.6) {
        for (let s = 0; s < (random() < 0.5 ? 1 : 2); s++) {
          hold(
            { namespace: 'infer', name: `half-${i}-${d}-${s}` },
            { node, whole: false, devices: [{ index: d, milli: 500, memoryBytes: 40 * GIB }] },
          );
        }
      } else if (kind < 0.8) {
        hold(
          { namespace: 'infer', name: `quarter-${i}-${d}` },
          { node, whole: false, devices: [{ index: d, milli: 250, memoryBytes: 20 * GIB }] },
        );
      }
    }
  }
  return { state, pods, levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone] };
}
