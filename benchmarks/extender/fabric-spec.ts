import type { FabricSpec } from '../../testbed/gpu-fabric.js';

/** NVL72-like cliques of 18 nodes × 8 GPUs, 4 cliques per leaf, as many leafs/zones as needed. */
export function fabricSpecFor(nodes: number): FabricSpec {
  const nodesPerClique = 18;
  const cliquesPerLeaf = 4;
  const leafs = Math.max(1, Math.round(nodes / (nodesPerClique * cliquesPerLeaf)));
  const zones = leafs >= 4 ? 4 : 1;
  return {
    zones,
    leafsPerZone: Math.max(1, Math.round(leafs / zones)),
    cliquesPerLeaf,
    nodesPerClique,
    gpusPerNode: 8,
    occupancy: 0.5,
    seed: 7,
  };
}
