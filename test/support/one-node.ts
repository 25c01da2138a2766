// The smallest world for a bind: one node with two GPUs, and one pending pod in a fake API server.
import { ClusterState } from '../../src/core/cluster-state.js';
import type { Assignment } from '../../src/core/types.js';
import { generateFabric } from '../../testbed/gpu-fabric.js';
import { FakeApi } from '../fakes/app-ports.js';

export const PENDING_POD = { namespace: 'ml', name: 'p', uid: 'uid-p' } as const;

export function oneNodeWithPendingPod() {
  const { inventories } = generateFabric({
    zones: 1,
    leafsPerZone: 1,
    cliquesPerLeaf: 1,
    nodesPerClique: 1,
    gpusPerNode: 2,
  });
  const state = ClusterState.restore({}, inventories, []).state;
  const node = inventories[0]!.name;
  const api = new FakeApi();
  api.add({ metadata: { ...PENDING_POD }, spec: { containers: [] }, status: { phase: 'Pending' } });
  /** GPU 0 given whole: what the tests reserve for the pod. */
  const assignment: Assignment = { node, whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] };
  return { state, node, api, assignment };
}
