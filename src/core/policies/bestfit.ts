// Best fit: the node with the least CPU and GPU left after the placement. As in the FGD paper's
// baseline, free CPU and GPU are weighted equally after scaling by the largest node shape in
// common use (128 vCPU, 8 GPUs), so a free GPU weighs as much as 16 free vCPU on every node.
import { freeMilliAfter } from './node-view.js';
import type { Candidate, PlacementPolicy } from './policy.js';

export const REFERENCE_CPU_MILLI = 128_000;
export const REFERENCE_GPU_MILLI = 8_000;

/** Weighted leftover after the placement, in [0, 1] on nodes up to the reference shape. */
export function leftover(candidate: Candidate): number {
  // Called for every candidate on every node: sums instead of building the after-view.
  const host = candidate.node.host;
  const cpuFree = host ? host.cpuMilli - host.cpuMilliUsed - (candidate.demand.cpuMilli ?? 0) : Infinity;
  const cpu = Number.isFinite(cpuFree) ? cpuFree / REFERENCE_CPU_MILLI : 0;
  return 0.5 * cpu + 0.5 * (freeMilliAfter(candidate) / REFERENCE_GPU_MILLI);
}

export function createBestFitPolicy(): PlacementPolicy {
  return { name: 'bestfit', score: (candidate) => -leftover(candidate) };
}
