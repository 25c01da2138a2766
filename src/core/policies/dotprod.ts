// Dot product (Tetris-style alignment, as the FGD paper's baseline uses it): the node whose free
// resources, normalised by its capacity, have the smallest dot product with the pod's request.
// For a share of one device, the chosen device's free fraction is one more dimension.
import { freeView, nodeCapacity, totalFreeMilli } from './node-view.js';
import type { Candidate, PlacementPolicy } from './policy.js';
import { MILLI_PER_GPU } from '../types.js';

export function dotProduct(candidate: Candidate): number {
  const { node, assignment, demand } = candidate;
  const now = freeView(node);
  const cap = nodeCapacity(node);
  let dot = 0;
  let requested = 0;
  for (const share of assignment.devices) requested += share.milli;
  if (cap.gpuMilli > 0) dot += (requested / cap.gpuMilli) * (totalFreeMilli(now) / cap.gpuMilli);
  if (cap.cpu > 0) dot += ((demand.cpuMilli ?? 0) / cap.cpu) * (now.cpuFree / cap.cpu);
  if (cap.mem > 0) dot += ((demand.memoryBytes ?? 0) / cap.mem) * (now.memFree / cap.mem);
  if (!assignment.whole) {
    for (const share of assignment.devices) {
      const device = node.devices.find((d) => d.index === share.index);
      if (device) dot += (share.milli / MILLI_PER_GPU) * ((MILLI_PER_GPU - device.usedMilli) / MILLI_PER_GPU);
    }
  }
  return dot;
}

export function createDotProductPolicy(): PlacementPolicy {
  return { name: 'dotprod', score: (candidate) => -dotProduct(candidate) };
}
