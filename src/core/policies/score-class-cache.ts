// Which policies' scores a placement cache may share between nodes that differ only in name and in
// which device index holds which state. A policy qualifies when its score of a candidate depends
// on the node only through its GPU model, host resources and the multiset of its devices' free
// milli, and on the assignment only through the (free milli before, milli taken) of the devices
// it uses (FGD's expected fragment growth, best fit's leftover). Such a policy gives every
// candidate of a shared-GPU pod on a device of a given state the same score on every such node,
// so the best device of a node is found without scoring it. A policy opts in explicitly:
// sharing scores for a policy that reads node names or labels would change its answers.
import type { PlacementPolicy } from './policy.js';

const scoredByFreeView = new WeakSet<PlacementPolicy>();

/** Declares that `policy`'s scores depend on free views only (see above); returns it. */
export function markScoredByFreeView<P extends PlacementPolicy>(policy: P): P {
  scoredByFreeView.add(policy);
  return policy;
}

export function isScoredByFreeView(policy: PlacementPolicy): boolean {
  return scoredByFreeView.has(policy);
}
