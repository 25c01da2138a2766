// Spread: the opposite of binpack. Prefer the candidate that leaves its node and its devices
// emptiest, to spread load (and the blast radius of a failing device or node).
import { deviceFillAfter, nodeFillAfter } from './binpack.js';
import type { Candidate, PlacementPolicy } from './policy.js';

/** Free share of the node plus free share of the touched devices after the placement, in [0, 2]. */
export function emptinessScore(candidate: Candidate): number {
  if (candidate.assignment.devices.length === 0) return 0;
  return 1 - nodeFillAfter(candidate) + (1 - deviceFillAfter(candidate));
}

export function createSpreadPolicy(): PlacementPolicy {
  return { name: 'spread', score: emptinessScore };
}
