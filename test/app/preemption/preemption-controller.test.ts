// The preemption controller over a real ledger and in-memory ports: it evicts one lower-priority gang
// whole (nothing else), holds the freed capacity for the preemptor until it binds, honours budgets,
// preemptionPolicy Never and equal priorities, and moves on when the Eviction API refuses.
import { describe, expect, it } from 'vitest';
import type { PodRef } from '../../../src/app/ports.js';
import type { EvictionResult } from '../../../src/app/preemption/ports.js';
import {
  PreemptionController,
  type DecisionResult,
} from '../../../src/app/preemption/preemption-controller.js';
import { PreemptionHolds } from '../../../src/app/preemption/preemption-holds.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { DEFAULT_TOPOLOGY_LEVELS, NodeLabel } from '../../../src/core/names.js';
import { parsePodDemand } from '../../../src/core/pod-demand.js';
import type { DisruptionBudget } from '../../../src/core/preemption/disruption-budgets.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, whole } from '../../support/assignments.js';
import { PreemptWorld, fractionalPreemptor, podShape, type PodOptions } from './preempt-harness.js';

const ALL8 = [0, 1, 2, 3, 4, 5, 6, 7];
const SCHEDULER = 'phalanx';

class Fakes {
  readonly evicted: string[] = [];
  readonly events: { pod: string; reason: string; message: string }[] = [];
  readonly decisions: DecisionResult[] = [];
  readonly bound: number[] = [];
  readonly nominated: string[] = [];
  readonly cleared: string[] = [];
  budgets: DisruptionBudget[] = [];
  refuse = new Set<string>();
  now = 1_000_000;
}

/** A world of cliques, each of `nodes` 8-GPU nodes, labelled so the topology graph sees them. */
function world(cliques: Record<string, number>): PreemptWorld {
  const w = new PreemptWorld();
  for (const [clique, nodes] of Object.entries(cliques)) {
    for (let i = 0; i < nodes; i += 1) {
      w.state.applyNode(
        nodeInventory(`${clique}-n${i}`, 8, {
          labels: { [NodeLabel.clique]: clique, [NodeLabel.leaf]: 'leaf', [NodeLabel.zone]: 'z' },
        }),
      );
    }
  }
  return w;
}

function bound(w: PreemptWorld, uid: string, o: PodOptions & { node: string }): void {
  w.pod(uid, o);
  const pod = w.pods.at(-1) as PodShape;
  (pod.spec as { schedulerName?: string }).schedulerName = SCHEDULER;
}

/** Pending members of a gang asking for `gpus` whole GPUs each. */
function pendingGang(
  w: PreemptWorld,
  name: string,
  size: number,
  gpus: number,
  priority: number,
  extra = {},
) {
  for (let i = 0; i < size; i += 1) {
    const pod = podShape(`${name}-${i}`, {
      priority,
      gang: name,
      annotations: {
        'phalanx.dev/group-size': String(size),
        'phalanx.dev/topology-required': NodeLabel.clique,
      },
      requests: { 'nvidia.com/gpu': String(gpus) },
      phase: 'Pending',
    });
    w.pods.push({ ...pod, spec: { ...pod.spec, schedulerName: SCHEDULER, ...extra } });
  }
  return w.pods.filter((p) => p.metadata?.annotations?.['phalanx.dev/pod-group'] === name);
}

function controller(w: PreemptWorld, f: Fakes): { c: PreemptionController; holds: PreemptionHolds } {
  const holds = new PreemptionHolds(w.state);
  const c = new PreemptionController({
    state: w.state,
    holds,
    nodePods: w,
    gangs: w,
    budgets: { budgets: () => Promise.resolve(f.budgets) },
    evictor: {
      evict: (pod: PodRef): Promise<EvictionResult> => {
        if (f.refuse.has(pod.uid)) return Promise.resolve('refused');
        f.evicted.push(pod.uid);
        return Promise.resolve('evicted');
      },
    },
    nominator: {
      nominate: (pod, node) => {
        f.nominated.push(`${pod.uid}@${node}`);
        return Promise.resolve();
      },
      clear: (pod) => {
        f.cleared.push(pod.uid);
        return Promise.resolve();
      },
    },
    events: { podEvent: (pod, _type, reason, message) => f.events.push({ pod: pod.uid, reason, message }) },
    clock: { now: () => f.now },
    levels: DEFAULT_TOPOLOGY_LEVELS,
    policy: { schedulerName: SCHEDULER, allowOtherSchedulers: false },
    holdTtlMs: 60_000,
    retryMs: 5_000,
    active: () => true,
    observer: {
      decided: (_kind, result) => f.decisions.push(result),
      evicted: () => undefined,
      bound: (_kind, seconds) => f.bound.push(seconds),
    },
  });
  return { c, holds };
}

const demandOf = (pod: PodShape) => parsePodDemand(pod, { levels: DEFAULT_TOPOLOGY_LEVELS });

/** Clique a: low gang g (2 × 8 GPUs, priority 1); clique b: two single pods of priority 5. */
function fullFabric(): PreemptWorld {
  const w = world({ a: 2, b: 2 });
  bound(w, 'g-0', { node: 'a-n0', priority: 1, gang: 'g', holds: whole('a-n0', ...ALL8) });
  bound(w, 'g-1', { node: 'a-n1', priority: 1, gang: 'g', holds: whole('a-n1', ...ALL8) });
  bound(w, 'b-0', { node: 'b-n0', priority: 5, holds: whole('b-n0', ...ALL8) });
  bound(w, 'b-1', { node: 'b-n1', priority: 5, holds: whole('b-n1', ...ALL8) });
  return w;
}

describe('PreemptionController: gangs', () => {
  it('evicts the lower-priority gang whole, holds its clique, and ends the hold when the gang binds', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c, holds } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    c.request(members[1] as PodShape, demandOf(members[1] as PodShape));
    await c.idle();
    expect(f.evicted.sort()).toEqual(['g-0', 'g-1']);
    expect(f.decisions).toEqual(['evicted']);
    expect(
      f.events
        .filter((e) => e.reason === 'PreemptedByPhalanx')
        .map((e) => e.pod)
        .sort(),
    ).toEqual(['g-0', 'g-1']);
    expect(f.events.find((e) => e.pod === 'g-0')?.message).toMatch(/gang ml\/hi \(priority 10\)/);
    expect(f.events.find((e) => e.pod === 'hi-0' && e.reason === 'Preempting')?.message).toMatch(
      /gang ml\/g/,
    );
    // Victims still terminating hold their GPUs: nothing is reserved yet.
    expect(holds.get('ml/hi')?.slots.map((s) => s.state)).toEqual(['waiting', 'waiting']);
    // One victim gone: its node is reserved at once, so no other pod can take it.
    w.state.release('g-0');
    expect(holds.get('ml/hi')?.slots.filter((s) => s.state === 'reserved')).toHaveLength(1);
    expect(w.state.reserve('intruder', whole('a-n0', 0), f.now + 1000).ok).toBe(false);
    w.state.release('g-1');
    // The gang's planner borrows the held capacity; a failed plan gives it back.
    const restore = holds.lend('ml/hi');
    expect(w.state.reserve('intruder', whole('a-n0', 0), f.now + 1000).ok).toBe(true);
    w.state.release('intruder');
    restore?.();
    expect(holds.get('ml/hi')?.slots.every((s) => s.state === 'reserved')).toBe(true);
    // A second request while the hold lives decides nothing.
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.decisions).toEqual(['evicted']);
    // Both members bound: the hold ends and the time is observed.
    f.now += 2_500;
    for (const m of members) (m.spec as { nodeName?: string }).nodeName = 'a-n0';
    c.podChanged(members[1] as PodShape);
    expect(holds.get('ml/hi')).toBeUndefined();
    expect(f.bound).toEqual([2.5]);
    expect(w.state.ledger.reservations()).toEqual([]);
  });

  it('decides for a gang that asked before every member was seen, once the last one shows up', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    const late = w.pods.splice(w.pods.indexOf(members[1] as PodShape), 1)[0] as PodShape;
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    w.pods.push(late);
    c.podChanged(late);
    await c.idle();
    expect(f.evicted.sort()).toEqual(['g-0', 'g-1']);
  });

  it('evicts nothing more when decided again while its victims are still terminating', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c, holds } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted.sort()).toEqual(['g-0', 'g-1']);
    // The victims terminate slowly (they keep their GPUs); the hold runs out meanwhile.
    for (const uid of ['g-0', 'g-1']) {
      const pod = w.pods.find((p) => p.metadata?.uid === uid) as PodShape;
      (pod.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-12-01T00:00:00Z';
    }
    f.now += 60_000;
    c.sweep();
    expect(holds.get('ml/hi')).toBeUndefined();
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted.sort()).toEqual(['g-0', 'g-1']);
    expect(f.decisions).toEqual(['evicted', 'fits']);
  });

  it('decides at once for a gang created again under the same name after every member was deleted', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c, holds } = controller(w, f);
    const first = pendingGang(w, 'hi', 2, 8, 10);
    c.request(first[0] as PodShape, demandOf(first[0] as PodShape));
    await c.idle();
    expect(f.decisions).toEqual(['evicted']);
    for (const member of first) {
      w.pods.splice(w.pods.indexOf(member), 1);
      c.podDeleted(member);
    }
    expect(holds.get('ml/hi')).toBeUndefined();
    // Well within retryMs of the first decision, the new gang is still decided for.
    f.now += 1_000;
    const again = pendingGang(w, 'hi', 2, 8, 10);
    c.request(again[0] as PodShape, demandOf(again[0] as PodShape));
    await c.idle();
    expect(f.decisions).toHaveLength(2);
  });

  it('never preempts equal priorities, nor for a gang whose preemptionPolicy is Never', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c } = controller(w, f);
    const equal = pendingGang(w, 'eq', 2, 8, 1);
    c.request(equal[0] as PodShape, demandOf(equal[0] as PodShape));
    await c.idle();
    const never = pendingGang(w, 'nv', 2, 8, 10, { preemptionPolicy: 'Never' });
    c.request(never[0] as PodShape, demandOf(never[0] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    expect(f.decisions).toEqual(['no-victims', 'not-eligible']);
    expect(f.events.find((e) => e.pod === 'nv-0')?.message).toMatch(/preemptionPolicy is Never/);
  });

  it('chooses another clique when a PodDisruptionBudget protects the cheapest victims', async () => {
    const w = fullFabric();
    const f = new Fakes();
    for (const uid of ['g-0', 'g-1']) {
      const pod = w.pods.find((p) => p.metadata?.uid === uid) as PodShape;
      (pod.metadata as { labels?: Record<string, string> }).labels = { app: 'train' };
    }
    f.budgets = [
      { namespace: 'ml', name: 'train', selector: { matchLabels: { app: 'train' } }, disruptionsAllowed: 1 },
    ];
    const { c } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted.sort()).toEqual(['b-0', 'b-1']);
  });

  it('moves on to the next clique when the Eviction API refuses the first victim', async () => {
    const w = fullFabric();
    const f = new Fakes();
    f.refuse.add('g-0');
    const { c, holds } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted.sort()).toEqual(['b-0', 'b-1']);
    expect(holds.get('ml/hi')?.domain).toBe('b');
  });

  it('leaves pods of other schedulers and Kueue alone', async () => {
    const w = fullFabric();
    const f = new Fakes();
    for (const uid of ['g-0', 'g-1']) {
      const pod = w.pods.find((p) => p.metadata?.uid === uid) as PodShape;
      (pod.metadata as { labels?: Record<string, string> }).labels = { 'kueue.x-k8s.io/queue-name': 'q' };
    }
    for (const uid of ['b-0', 'b-1']) {
      const pod = w.pods.find((p) => p.metadata?.uid === uid) as PodShape;
      (pod.spec as { schedulerName?: string }).schedulerName = 'default-scheduler';
    }
    const { c } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    expect(f.decisions).toEqual(['no-victims']);
  });
});

/**
 * Clique a (3 nodes): the high gang's leader bound on a-n0, a-n1 and a-n2 held by pods of priority
 * `aPriority`; clique b (2 nodes): pods of priority 0, the cheapest victims anywhere.
 */
function leaderBound(aPriority: number): { w: PreemptWorld; members: PodShape[] } {
  const w = world({ a: 3, b: 2 });
  const members = pendingGang(w, 'hi', 3, 8, 10);
  const leader = members[0] as PodShape;
  (leader.spec as { nodeName?: string }).nodeName = 'a-n0';
  (leader.status as { phase?: string }).phase = 'Running';
  expect(w.state.commit('hi-0', whole('a-n0', ...ALL8)).ok).toBe(true);
  bound(w, 'a1', { node: 'a-n1', priority: aPriority, holds: whole('a-n1', ...ALL8) });
  bound(w, 'a2', { node: 'a-n2', priority: 1, holds: whole('a-n2', ...ALL8) });
  bound(w, 'b0', { node: 'b-n0', priority: 0, holds: whole('b-n0', ...ALL8) });
  bound(w, 'b1', { node: 'b-n1', priority: 0, holds: whole('b-n1', ...ALL8) });
  return { w, members };
}

describe('PreemptionController: a gang with a member bound', () => {
  it('frees room only in the domain of the bound member, never evicting the member itself', async () => {
    const { w, members } = leaderBound(1);
    const f = new Fakes();
    const { c, holds } = controller(w, f);
    c.request(members[1] as PodShape, demandOf(members[1] as PodShape));
    await c.idle();
    // Clique b is cheaper (priority 0) but cannot join the leader on a-n0.
    expect(f.evicted.sort()).toEqual(['a1', 'a2']);
    expect(holds.get('ml/hi')?.domain).toBe('a');
    expect(
      holds
        .get('ml/hi')
        ?.slots.map((s) => s.node)
        .sort(),
    ).toEqual(['a-n1', 'a-n2']);
    // Only the pending members are nominated, each to a node of its planned slot.
    expect(f.nominated.map((n) => n.split('@')[0]).sort()).toEqual(['hi-1', 'hi-2']);
    expect(f.nominated.map((n) => n.split('@')[1]).sort()).toEqual(['a-n1', 'a-n2']);
  });

  it('evicts nothing when the bound member’s domain cannot be freed enough', async () => {
    const { w, members } = leaderBound(50);
    const f = new Fakes();
    const { c } = controller(w, f);
    c.request(members[1] as PodShape, demandOf(members[1] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    expect(f.decisions).toEqual(['no-victims']);
    expect(f.nominated).toEqual([]);
  });

  it('evicts nothing, saying why, when the bound members share no domain', async () => {
    const { w, members } = leaderBound(1);
    const second = members[1] as PodShape;
    (second.spec as { nodeName?: string }).nodeName = 'b-n0';
    const f = new Fakes();
    const { c } = controller(w, f);
    c.request(members[2] as PodShape, demandOf(members[2] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    expect(f.decisions).toEqual(['no-victims']);
    expect(f.events.find((e) => e.pod === 'hi-2')?.message).toMatch(/a-n0, b-n0\) share no .*clique domain/);
  });

  it('does not preempt for a gang whose members are all bound', async () => {
    const { w, members } = leaderBound(1);
    for (const [i, m] of members.entries()) (m.spec as { nodeName?: string }).nodeName = `a-n${i}`;
    const f = new Fakes();
    const { c } = controller(w, f);
    c.request(members[1] as PodShape, demandOf(members[1] as PodShape));
    await c.idle();
    expect(f.evicted).toEqual([]);
    expect(f.decisions).toEqual(['not-eligible']);
  });
});

describe('PreemptionController: nominations', () => {
  it('nominates each pending gang member and takes the nominations back when the hold expires', async () => {
    const w = fullFabric();
    const f = new Fakes();
    const { c } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.nominated.sort()).toEqual(['hi-0@a-n0', 'hi-1@a-n1'].sort());
    f.now += 59_999;
    c.sweep();
    expect(f.cleared).toEqual([]);
    f.now += 1;
    c.sweep();
    expect(f.cleared.sort()).toEqual(['hi-0', 'hi-1']);
  });

  it('leaves a nomination alone once the preemptor bound, and nominates nothing for a refused domain', async () => {
    const w = fullFabric();
    const f = new Fakes();
    f.refuse.add('g-0');
    const { c } = controller(w, f);
    const members = pendingGang(w, 'hi', 2, 8, 10);
    c.request(members[0] as PodShape, demandOf(members[0] as PodShape));
    await c.idle();
    expect(f.nominated.map((n) => n.split('@')[1]).sort()).toEqual(['b-n0', 'b-n1']);
    for (const m of members) (m.spec as { nodeName?: string }).nodeName = 'b-n0';
    c.podChanged(members[1] as PodShape);
    f.now += 60_000;
    c.sweep();
    expect(f.cleared).toEqual([]);
  });
});

describe('PreemptionController: shares', () => {
  it('evicts the fewest lower-priority shares on one device and holds it under the pod', async () => {
    const w = world({ a: 1 });
    const f = new Fakes();
    for (const i of ALL8) {
      // Every device: two halves, except device 3: four quarters.
      if (i === 3)
        for (const q of [0, 1, 2, 3])
          bound(w, `q${q}`, { node: 'a-n0', priority: 1, holds: share('a-n0', 3, 250) });
      else
        for (const h of [0, 1])
          bound(w, `h${i}-${h}`, { node: 'a-n0', priority: h === 0 ? 1 : 50, holds: share('a-n0', i, 500) });
    }
    const { c, holds } = controller(w, f);
    const pod = fractionalPreemptor(500, 10, { phase: 'Pending' });
    c.request(pod, demandOf(pod), ['a-n0']);
    await c.idle();
    expect(f.evicted).toHaveLength(1);
    expect(f.evicted[0]).toMatch(/^h\d-0$/);
    expect(f.nominated).toEqual(['preemptor@a-n0']);
    w.state.release(f.evicted[0] as string);
    const held = w.state.holding('preemptor');
    expect(held?.state).toBe('reserved');
    expect(holds.get('pod:preemptor')?.slots[0]?.state).toBe('reserved');
    // Bound: the reservation became its commitment, the hold ends without touching it.
    expect(w.state.commit('preemptor').ok).toBe(true);
    (pod.spec as { nodeName?: string }).nodeName = 'a-n0';
    c.podChanged(pod);
    expect(holds.get('pod:preemptor')).toBeUndefined();
    expect(w.state.holding('preemptor')?.state).toBe('committed');
  });

  it('ends the hold when its TTL passes and takes the nomination back', async () => {
    const w = world({ a: 1 });
    const f = new Fakes();
    bound(w, 'x', { node: 'a-n0', priority: 1, holds: whole('a-n0', ...ALL8) });
    const { c, holds } = controller(w, f);
    const pod = fractionalPreemptor(500, 10, { phase: 'Pending' });
    c.request(pod, demandOf(pod), ['a-n0']);
    await c.idle();
    expect(f.evicted).toEqual(['x']);
    f.now += 60_000;
    c.sweep();
    expect(holds.get('pod:preemptor')).toBeUndefined();
    // Unbound when the hold ended: the scheduler must not keep room on a-n0 for it.
    expect(f.nominated).toEqual(['preemptor@a-n0']);
    expect(f.cleared).toEqual(['preemptor']);
  });
});
