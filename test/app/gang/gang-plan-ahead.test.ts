// A new leader plans the gangs whose members wait, before any member is filtered again: the whole
// gang's domain is reserved at once, so pods scheduled in between cannot take it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pendingGangMembers } from '../../../src/app/gang/gang-membership.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { parsePodDemand } from '../../../src/core/pod-demand.js';
import { generateFabric } from '../../../testbed/gpu-fabric.js';
import { CLIQUE, GangHarness, gangPod } from './gang-harness.js';

/** 1 zone, 1 leaf, 2 cliques of 2 nodes × 8 GPUs. */
const fabric = () =>
  generateFabric({ zones: 1, leafsPerZone: 1, cliquesPerLeaf: 2, nodesPerClique: 2, gpusPerNode: 8 });

const members = (group: string, size: number, gpus: number): PodShape[] =>
  Array.from({ length: size }, (_, i) => gangPod(`${group}-${i}`, group, size, { gpus, preferred: CLIQUE }));

const withDemand = (pod: PodShape) => ({ pod, demand: parsePodDemand(pod) });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('planning gangs ahead of their members', () => {
  it('reserves the whole gang in one clique before any member is filtered, once', () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('llm', 4, 4);
    h.add(...pods);
    expect(h.coordinator.planAhead([withDemand(pods[2]!)])).toBe(1);
    expect(h.reservations()).toBe(4);
    const [plan] = h.coordinator.plans();
    expect(new Set(plan!.slots.map((s) => h.state.inventory(s.node)?.labels[CLIQUE])).size).toBe(1);
    // Already planned: nothing more is reserved.
    expect(h.coordinator.planAhead([withDemand(pods[0]!)])).toBe(0);
    expect(h.reservations()).toBe(4);
    // Members then claim the planned slots at their own filter.
    const nodes = new Set(pods.map((p) => h.plannedNode(p)));
    expect([...nodes].every((n) => plan!.slots.some((s) => s.node === n))).toBe(true);
    expect(h.reservations()).toBe(4);
  });

  it('keeps the reserved clique from a single pod filtered in between', () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const gang = members('llm', 4, 4);
    h.add(...gang);
    h.coordinator.planAhead([withDemand(gang[0]!)]);
    const planned = new Set(h.coordinator.plans()[0]!.slots.map((s) => s.node));
    // A pod wanting a whole node fits only where the plan holds nothing.
    const single = {
      metadata: { name: 'solo', namespace: 'ml', uid: 'uid-solo' },
      spec: { containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '8' } } }] },
      status: { phase: 'Pending' },
    } as PodShape;
    h.add(single);
    const out = h.filter(single);
    expect(out.feasible.length).toBeGreaterThan(0);
    for (const node of out.feasible) expect(planned.has(node)).toBe(false);
  });

  it('picks one waiting member per gang: unbound, ungated, for this scheduler', () => {
    const pod = (name: string, spec: PodShape['spec'], deleted = false): PodShape => ({
      metadata: { name, namespace: 'ml', uid: name, ...(deleted ? { deletionTimestamp: 'now' } : {}) },
      spec: { containers: [], schedulerName: 'phalanx-scheduler', ...spec },
      status: { phase: 'Pending' },
    });
    const byGang = new Map<string, PodShape[]>([
      ['ml/bound', [pod('b0', { nodeName: 'n1' })]],
      ['ml/gated', [pod('g0', { schedulingGates: [{ name: 'phalanx.dev/gang' }] })]],
      ['ml/other', [pod('o0', { schedulerName: 'default-scheduler' })]],
      ['ml/deleted', [pod('d0', {}, true)]],
      ['ml/waiting', [pod('w0', { nodeName: 'n2' }), pod('w1', {}), pod('w2', {})]],
    ]);
    const index = { gangKeys: () => byGang.keys(), members: (key: string) => byGang.get(key) ?? [] };
    expect(pendingGangMembers(index, 'phalanx-scheduler').map((p) => p.metadata?.name)).toEqual(['w1']);
  });
});
