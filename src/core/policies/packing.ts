// GPU packing: fill what is already in use before touching idle capacity. A share goes to a device
// that already holds shares, else to a free device on a node with GPUs in use, else to an idle
// node; whole devices go to nodes with GPUs in use before idle ones. Best fit breaks ties.
import { leftover } from './bestfit.js';
import type { Candidate, PlacementPolicy } from './policy.js';

function tier(candidate: Candidate): number {
  const { node, assignment } = candidate;
  const nodeInUse = node.devices.some((d) => d.mode !== 'free');
  if (!assignment.whole && assignment.devices.length === 1) {
    const index = assignment.devices[0]?.index;
    const device = node.devices.find((d) => d.index === index);
    if (device?.mode === 'shared') return 2;
  }
  return nodeInUse ? 1 : 0;
}

export function createPackingPolicy(): PlacementPolicy {
  return { name: 'packing', score: (candidate) => tier(candidate) - leftover(candidate) };
}
