// Restart recovery from recorded decisions (tests, benchmarks, the replayer): rebuilds a ledger from
// node inventories and committed assignments through the same rule the informer applies to bound
// pods (pod-facts.ts). Every fact that cannot be applied (unknown node or device, over-commit,
// conflicting duplicates) comes back with its reason for the caller to log; none is dropped silently.
import { GpuLedger } from './gpu-ledger.js';
import { applyFact } from './pod-facts.js';
import type { Assignment, NodeInventory } from '../types.js';

export interface CommittedFact {
  readonly uid: string;
  readonly assignment: Assignment;
}

export interface RejectedFact extends CommittedFact {
  readonly reason: string;
}

export interface RebuiltLedger {
  readonly ledger: GpuLedger;
  readonly rejected: readonly RejectedFact[];
}

/** Facts are applied in the order given; the first of two conflicting facts wins. */
export function rebuildLedger(
  inventories: Iterable<NodeInventory>,
  committed: Iterable<CommittedFact>,
): RebuiltLedger {
  const ledger = new GpuLedger();
  for (const inventory of inventories) ledger.upsertNode(inventory);
  const rejected: RejectedFact[] = [];
  for (const { uid, assignment } of committed) {
    const fact = { kind: 'annotated', node: assignment.node, raw: '', assignment } as const;
    const result = applyFact(ledger, uid, fact);
    if (!result.ok) rejected.push({ uid, assignment, reason: result.reason });
  }
  return { ledger, rejected };
}
