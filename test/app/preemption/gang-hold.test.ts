// A gang's planner and the capacity a preemption holds for it: the hold is lent to the gang's own
// plan (and to no other gang's), given back when the plan fails; a gang that fits nowhere is handed
// to preemption.
import { describe, expect, it } from 'vitest';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { GangCoordinator } from '../../../src/app/gang/gang-coordinator.js';
import { PreemptionHolds } from '../../../src/app/preemption/preemption-holds.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { DEFAULT_TOPOLOGY_LEVELS, NodeLabel } from '../../../src/core/names.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { whole } from '../../support/assignments.js';
import { FakeMembers, gangPod } from '../gang/gang-harness.js';

const ALL8 = [0, 1, 2, 3, 4, 5, 6, 7];

function world(replanBackoffMs = 0) {
  const state = new ClusterState();
  for (const n of ['a0', 'a1']) {
    state.applyNode(nodeInventory(n, 8, { labels: { [NodeLabel.clique]: 'a', [NodeLabel.zone]: 'z' } }));
  }
  const api = new FakeApi();
  const holds = new PreemptionHolds(state);
  const noRoom: string[] = [];
  const clock = { now: () => 1_000_000 };
  const binding = new BindingWriter({ state, binder: api, pods: api });
  const gangs = new GangCoordinator({
    state,
    members: new FakeMembers(api),
    pods: api,
    clock,
    levels: DEFAULT_TOPOLOGY_LEVELS,
    policyFor: () => policyByName('binpack'),
    binding,
    reservationTtlMs: 60_000,
    bindBarrierMs: 25_000,
    replanBackoffMs,
    held: holds,
    noRoom: (pod) => noRoom.push(pod.metadata?.name ?? ''),
  });
  const service = new SchedulingService({
    state,
    policyFor: () => policyByName('binpack'),
    pods: api,
    binding,
    clock,
    reservationTtlMs: 60_000,
    levels: DEFAULT_TOPOLOGY_LEVELS,
    notServingReason: () => undefined,
    gangs,
  });
  return { state, api, holds, noRoom, service };
}

/** A hold of both nodes of clique a for the gang `key`. */
function holdCliqueFor(holds: PreemptionHolds, key: string): void {
  holds.add({
    key,
    gangKey: key,
    assignments: [whole('a0', ...ALL8), whole('a1', ...ALL8)],
    expiresAt: 2_000_000,
    decidedAt: 1_000_000,
    domain: 'a',
  });
}

describe('gang planning with a preemption hold', () => {
  it('plans the gang on the capacity held for it; another gang finds none and is handed to preemption', () => {
    const { api, holds, noRoom, service } = world();
    holdCliqueFor(holds, 'ml/hi');
    expect(holds.get('ml/hi')?.slots.map((s) => s.state)).toEqual(['reserved', 'reserved']);
    const other = [0, 1].map((i) => gangPod(`lo-${i}`, 'lo', 2, { gpus: 8 }));
    for (const p of other) api.add(p);
    expect(service.filter(other[0]!, ['a0', 'a1']).feasible).toEqual([]);
    expect(noRoom).toEqual(['lo-0']);
    // The hold survived the other gang's failed plan.
    expect(holds.get('ml/hi')?.slots.map((s) => s.state)).toEqual(['reserved', 'reserved']);
    const mine = [0, 1].map((i) => gangPod(`hi-${i}`, 'hi', 2, { gpus: 8 }));
    for (const p of mine) api.add(p);
    const planned = service.filter(mine[0]!, ['a0', 'a1']).feasible;
    expect(planned).toHaveLength(1);
    expect(holds.get('ml/hi')?.slots.map((s) => s.state)).toEqual(['lent', 'lent']);
  });

  it('answers "unschedulable", not an error, while victims are still there, so their deletion retries the gang at once', () => {
    // The clock stands still: a failed plan is not tried again within the backoff, unless the hold
    // became complete.
    const { api, holds, state, service } = world(1_000);
    // A victim still runs on a1 (terminating: it keeps its GPUs until it is gone).
    expect(state.reserve('victim', whole('a1', ...ALL8), 9_000_000).ok).toBe(true);
    holdCliqueFor(holds, 'ml/hi');
    expect(holds.awaitingVictims('ml/hi')).toBe(1);
    const mine = [0, 1].map((i) => gangPod(`hi-${i}`, 'hi', 2, { gpus: 8 }));
    for (const p of mine) api.add(p);
    const waiting = service.filter(mine[0]!, ['a0', 'a1']);
    expect(waiting.feasible).toEqual([]);
    expect(waiting.error).toBeUndefined();
    expect(waiting.unresolvable['a0']).toMatch(/waiting for the pods preempted for it to be gone \(1 slot/);
    // The victim is gone: the hold reserves its slot and the gang plans there.
    state.release('victim');
    expect(holds.awaitingVictims('ml/hi')).toBe(0);
    expect(service.filter(mine[0]!, ['a0', 'a1']).feasible).toHaveLength(1);
  });

  it('still answers an error (retried on backoff) for a gang that fits nowhere and has no hold', () => {
    const { api, service } = world();
    const big = [0, 1, 2].map((i) => gangPod(`big-${i}`, 'big', 3, { gpus: 8 }));
    for (const p of big) api.add(p);
    const out = service.filter(big[0]!, ['a0', 'a1']);
    expect(out.feasible).toEqual([]);
    expect(out.error).toMatch(/needs 3 pods/);
  });

  it('gives each member the held slot on the node offered to it (the one it was nominated to)', () => {
    const { api, holds, service } = world();
    holdCliqueFor(holds, 'ml/hi');
    const mine = [0, 1].map((i) => gangPod(`hi-${i}`, 'hi', 2, { gpus: 8 }));
    for (const p of mine) api.add(p);
    // kube-scheduler counts the other member's nomination on each node: hi-0 is offered a1 only.
    expect(service.filter(mine[0]!, ['a1']).feasible).toEqual(['a1']);
    expect(service.filter(mine[1]!, ['a0']).feasible).toEqual(['a0']);
  });
});
