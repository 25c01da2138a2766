// Bin-packing: prefer the candidate that leaves its node and its devices fullest, so whole free
// devices and whole free nodes stay available for large pods. Node fill and device fill weigh the
// same; on one node the node fill is equal for every candidate, so the device fill decides there.
import type { Candidate, PlacementPolicy } from './policy.js';
import { MILLI_PER_GPU, type NodeGpuState } from '../types.js';

/** Share of the node's GPU milli in use after the placement, in [0, 1]. */
export function nodeFillAfter(candidate: Candidate): number {
  const { node, assignment } = candidate;
  const capacity = node.devices.length * MILLI_PER_GPU;
  if (capacity === 0) return 0;
  let used = 0;
  for (const d of node.devices) used += d.mode === 'whole' ? MILLI_PER_GPU : d.usedMilli;
  for (const share of assignment.devices) used += share.milli;
  return Math.min(1, used / capacity);
}

function islandsOf(node: NodeGpuState): readonly (readonly number[])[] {
  const islands = node.inventory.islands;
  return islands.length > 0 ? islands : [node.devices.map((d) => d.index)];
}

/**
 * Device-level fill after the placement, in [0, 1]: for a share, how full its device becomes; for
 * whole devices, how few free devices remain in the NVLink islands the set touches.
 */
export function deviceFillAfter(candidate: Candidate): number {
  const { node, assignment } = candidate;
  if (assignment.devices.length === 0) return 0;
  if (!assignment.whole) {
    const share = assignment.devices[0];
    const device = node.devices.find((d) => d.index === share?.index);
    if (share === undefined || device === undefined) return 0;
    return Math.min(1, (device.usedMilli + share.milli) / MILLI_PER_GPU);
  }
  const chosen = new Set(assignment.devices.map((d) => d.index));
  const free = new Set(node.devices.filter((d) => d.mode === 'free').map((d) => d.index));
  let size = 0;
  let freeAfter = 0;
  for (const island of islandsOf(node)) {
    if (!island.some((i) => chosen.has(i))) continue;
    size += island.length;
    for (const i of island) if (free.has(i) && !chosen.has(i)) freeAfter += 1;
  }
  return size === 0 ? 1 : 1 - freeAfter / size;
}

/** Node fill plus device fill, in [0, 2]. Pods without GPU demand score 0 everywhere. */
export function fillScore(candidate: Candidate): number {
  if (candidate.assignment.devices.length === 0) return 0;
  return nodeFillAfter(candidate) + deviceFillAfter(candidate);
}

export function createBinpackPolicy(): PlacementPolicy {
  return { name: 'binpack', score: fillScore };
}
