// Random binds and releases over a ClusterState, for property tests that compare cached answers
// with answers computed from scratch after every change.
import { expect } from 'vitest';
import type { ClusterState } from '../../src/core/cluster-state.js';
import { candidateAssignments } from '../../src/core/ledger/device-fit.js';
import type { PodDemand } from '../../src/core/types.js';

export type ChurnStep =
  | { readonly kind: 'bind'; readonly demand: PodDemand; readonly node: number; readonly pick: number }
  | { readonly kind: 'release'; readonly pick: number };

/** Applies each step (a bind of one of the demand's candidates, or a release), then `check()`. */
export function churn(
  state: ClusterState,
  names: readonly string[],
  steps: readonly ChurnStep[],
  check: () => void,
): void {
  const bound: string[] = [];
  let uid = 0;
  for (const s of steps) {
    if (s.kind === 'bind') {
      const node = names[s.node % names.length]!;
      const candidates = candidateAssignments(state.nodeState(node)!, s.demand);
      const assignment = candidates[s.pick % Math.max(1, candidates.length)];
      if (assignment === undefined) continue;
      const id = `pod-${uid++}`;
      expect(state.commit(id, assignment).ok).toBe(true);
      bound.push(id);
    } else if (bound.length > 0) {
      const [id] = bound.splice(s.pick % bound.length, 1);
      expect(state.release(id!)).toBe(true);
    }
    check();
  }
}
