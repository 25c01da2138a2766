// A small fabric for the occupancy tests: two zones, racks and cliques (one node without a rack
// label, one cordoned, one CPU-only), pods holding shares and whole GPUs, pods named by UID.
import { ClusterState } from '../../../src/core/cluster-state.js';
import { GangTracker } from '../../../src/core/gang/gang-tracker.js';
import { NodeLabel } from '../../../src/core/names.js';
import type { HolderPod } from '../../../src/core/occupancy/occupancy-types.js';
import type { Assignment, NodeInventory } from '../../../src/core/types.js';

const GIB = 1024 ** 3;

export function inventory(
  name: string,
  gpus: number,
  labels: Record<string, string>,
  unschedulable = false,
): NodeInventory {
  return {
    name,
    devices: Array.from({ length: gpus }, (_, index) => ({ index, memoryBytes: 80 * GIB })),
    model: gpus > 0 ? 'NVIDIA-H100-80GB-HBM3' : '',
    islands: gpus > 0 ? [Array.from({ length: gpus }, (_, i) => i)] : [],
    labels,
    unschedulable,
  };
}

const at = (zone: string, rack: string | undefined, clique: string): Record<string, string> => ({
  [NodeLabel.zone]: zone,
  ...(rack === undefined ? {} : { [NodeLabel.leaf]: rack }),
  [NodeLabel.clique]: clique,
});

export function share(node: string, index: number, milli: number, memoryBytes = 0): Assignment {
  return { node, whole: false, devices: [{ index, milli, memoryBytes }] };
}

export function whole(node: string, ...indices: number[]): Assignment {
  return { node, whole: true, devices: indices.map((index) => ({ index, milli: 1000, memoryBytes: 0 })) };
}

export interface SmallFabric {
  readonly state: ClusterState;
  readonly pods: Map<string, HolderPod>;
  readonly tracker: GangTracker;
  hold(uid: string, pod: HolderPod, a: Assignment): void;
}

/**
 * z1/r1/c1: n1 (4 GPUs), n2 (4 GPUs, cordoned); z1/r2/c2: n3 (8 GPUs);
 * z2/(no rack)/c3: n4 (2 GPUs); z2: cpu (no GPUs).
 */
export function smallFabric(): SmallFabric {
  const state = new ClusterState();
  state.applyNode(inventory('n1', 4, at('z1', 'r1', 'c1')));
  state.applyNode(inventory('n2', 4, at('z1', 'r1', 'c1'), true));
  state.applyNode(inventory('n3', 8, at('z1', 'r2', 'c2')));
  state.applyNode(inventory('n4', 2, at('z2', undefined, 'c3')));
  state.applyNode(inventory('cpu', 0, { [NodeLabel.zone]: 'z2' }));
  const pods = new Map<string, HolderPod>();
  return {
    state,
    pods,
    tracker: new GangTracker(),
    hold(uid, pod, a) {
      pods.set(uid, pod);
      const result = state.commit(uid, a);
      if (!result.ok) throw new Error(result.reason);
    },
  };
}
