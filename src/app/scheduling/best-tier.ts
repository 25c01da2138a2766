// The `bestTier` filter answer: of the nodes where a pod fits, only those Phalanx would score highest.
// kube-scheduler then runs its own score plugins and the prioritize call over that tier alone, and
// over nothing when one node is left (it takes a lone feasible node without scoring), which is what
// makes a pod cheaper for it. The price: its own preferences choose only within the tier.
import type { HostScore } from '../verbs.js';

/** What filter answers for a single pod (the `filter` settings). */
export interface FilterAnswer {
  readonly mode: 'allFeasible' | 'bestTier';
  /** Most nodes a `bestTier` answer keeps, the first ones in the order the scheduler sent them. */
  readonly bestTierMaxNodes: number;
}

export const ALL_FEASIBLE: FilterAnswer = Object.freeze({ mode: 'allFeasible', bestTierMaxNodes: 1 });

/**
 * The hosts with the top extender score, in the given order, at most `maxNodes`. Scores are the
 * prioritize answer over the same hosts, so the tier is exactly the nodes prioritize would rank first
 * (all of them when it ranks none above another). Keeping the scheduler's order lets its rotating
 * start index spread ties across the cluster, as it does for its own scoring.
 */
export function bestTier(scored: readonly HostScore[], maxNodes: number): string[] {
  if (!Number.isInteger(maxNodes) || maxNodes < 1) {
    throw new RangeError(`filter.bestTierMaxNodes must be a positive integer, got ${maxNodes}`);
  }
  let top = -Infinity;
  for (const { score } of scored) if (score > top) top = score;
  const tier: string[] = [];
  for (const { host, score } of scored) {
    if (score !== top) continue;
    tier.push(host);
    if (tier.length >= maxNodes) break;
  }
  return tier;
}
