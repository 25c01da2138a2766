import { beforeEach, describe, expect, it } from 'vitest';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { BindError } from '../../../src/app/ports.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { deepFreeze } from '../../../src/core/deep-freeze.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { PlacementPolicy } from '../../../src/core/policies/policy.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { FakeClock } from '../../fakes/kube-clock.js';
import { h100Node, pendingGpuPod } from '../../support/scheduling-fixtures.js';

const gpuNode = h100Node;
const pod = pendingGpuPod;

let state: ClusterState;
let api: FakeApi;
let clock: FakeClock;
let serving: string | undefined;
let service: SchedulingService;

beforeEach(() => {
  state = new ClusterState();
  state.applyNode(gpuNode('node-1', 2));
  state.applyNode(gpuNode('node-2', 2));
  state.applyNode(gpuNode('cpu-1', 0));
  api = new FakeApi();
  clock = new FakeClock(1_000_000);
  serving = undefined;
  service = new SchedulingService({
    state,
    policyFor: () => policyByName('binpack'),
    pods: api,
    binding: new BindingWriter({ state, binder: api, pods: api }),
    clock,
    reservationTtlMs: 30_000,
    levels: ['nvidia.com/gpu.clique', 'topology.kubernetes.io/zone'],
    notServingReason: () => serving,
  });
});

/** A service over this test's state and fakes with its own policy and no topology levels. */
function serviceWith(policy: PlacementPolicy): SchedulingService {
  return new SchedulingService({
    state,
    policyFor: () => policy,
    pods: api,
    binding: new BindingWriter({ state, binder: api, pods: api }),
    clock,
    reservationTtlMs: 30_000,
    levels: [],
    notServingReason: () => undefined,
  });
}

async function schedule(p: PodShape, node: string): Promise<string> {
  api.add(p);
  return service.bind({ namespace: 'ml', name: p.metadata!.name!, uid: p.metadata!.uid!, node });
}

describe('filter', () => {
  it('passes pods without GPU requests through untouched', () => {
    const out = service.filter(pod('web'), ['node-1', 'cpu-1']);
    expect(out).toEqual({ feasible: ['node-1', 'cpu-1'], failed: {}, unresolvable: {} });
  });

  it('marks nodes without GPUs and too-small nodes unresolvable', () => {
    const out = service.filter(pod('big', { gpus: 4 }), ['node-1', 'cpu-1']);
    expect(out.feasible).toEqual([]);
    expect(out.unresolvable['cpu-1']).toBe('node has no GPUs');
    expect(out.unresolvable['node-1']).toBe('node has 2 GPUs, pod needs 4 GPU');
  });

  it('rejects a full node and keeps the free one, counting the rejection by cause, with no writes to the API', async () => {
    expect(await schedule(pod('a', { gpus: 2 }), 'node-1')).toBe('');
    const bindingsBefore = api.bindings.length;
    const out = service.filter(pod('b', { fraction: '0.5' }), ['node-1', 'node-2']);
    expect(out.feasible).toEqual(['node-2']);
    // A node fits, so kube-scheduler reads no per-node reasons and none are built.
    expect(out.failed).toEqual({});
    expect(out.unresolvable).toEqual({});
    expect([...(out.rejected ?? [])]).toEqual([['no free GPU capacity', 1]]);
    expect(api.bindings.length).toBe(bindingsBefore);
  });

  it('gives every full node its reason when no node fits', async () => {
    expect(await schedule(pod('a', { gpus: 2 }), 'node-1')).toBe('');
    const out = service.filter(pod('b', { fraction: '0.5' }), ['node-1', 'cpu-1']);
    expect(out.feasible).toEqual([]);
    expect(out.failed['node-1']).toMatch(/node-1/);
    expect(out.unresolvable['cpu-1']).toBe('node has no GPUs');
  });

  it('sees a node change at once although its verdict was cached', async () => {
    const before = service.filter(pod('probe-1', { gpus: 2 }), ['node-1']);
    expect(before.feasible).toEqual(['node-1']);
    expect(await schedule(pod('a', { gpus: 2 }), 'node-1')).toBe('');
    const after = service.filter(pod('probe-2', { gpus: 2 }), ['node-1']);
    expect(after.feasible).toEqual([]);
    expect(after.failed['node-1']).toMatch(/node-1/);
  });

  it('reuses its outcome over an unchanged node list and recomputes when the list or a node changes', async () => {
    const first = service.filter(pod('p1', { fraction: '0.5' }), ['node-1', 'node-2']);
    // Same names in a new array (as each request parses them), same shape: the same outcome.
    expect(service.filter(pod('p2', { fraction: '0.5' }), ['node-1', 'node-2'])).toBe(first);
    expect(service.filter(pod('p3', { fraction: '0.5' }), ['node-2']).feasible).toEqual(['node-2']);
    expect(await schedule(pod('a', { gpus: 2 }), 'node-1')).toBe('');
    const after = service.filter(pod('p4', { fraction: '0.5' }), ['node-1', 'node-2']);
    expect(after).not.toBe(first);
    expect(after.feasible).toEqual(['node-2']);
  });

  it('keeps its outcome after a bind that leaves every node where it was, and only then', async () => {
    const names = ['node-1', 'node-2', 'cpu-1'];
    const first = service.filter(pod('p1', { fraction: '0.5' }), names);
    expect(first.feasible).toEqual(['node-1', 'node-2']);
    // node-1 keeps a free device: the half-GPU shape still fits there, the outcome stands.
    expect(await schedule(pod('a', { gpus: 1 }), 'node-1')).toBe('');
    expect(service.filter(pod('p2', { fraction: '0.5' }), names)).toBe(first);
    // Now node-1 is full: the outcome is computed afresh and drops it.
    expect(await schedule(pod('b', { gpus: 1 }), 'node-1')).toBe('');
    const after = service.filter(pod('p3', { fraction: '0.5' }), names);
    expect(after.feasible).toEqual(['node-2']);
    expect(new Map(after.rejected)).toEqual(
      new Map([
        ['node has no GPUs', 1],
        ['no free GPU capacity', 1],
      ]),
    );
  });

  it('explains an invalid request on every node instead of failing the call', () => {
    const out = service.filter(pod('bad', { fraction: '1.5' }), ['node-1', 'node-2']);
    expect(out.feasible).toEqual([]);
    expect(out.unresolvable['node-1']).toContain('phalanx.dev/gpu-fraction');
    expect(out.unresolvable['node-2']).toContain('phalanx.dev/gpu-fraction');
  });

  it('answers with an error while not serving (not synced or not leader)', () => {
    serving = 'not the leader';
    expect(service.filter(pod('a', { gpus: 1 }), ['node-1']).error).toBe('not the leader');
  });
});

describe('bind', () => {
  it('answers with the reason, holding nothing, when the pod cannot be read (API 503)', async () => {
    const p = pod('unreadable', { gpus: 1 });
    api.add(p);
    api.getPod = () => Promise.reject(new Error('503 Service Unavailable'));
    const result = await service.bind({
      namespace: 'ml',
      name: 'unreadable',
      uid: p.metadata!.uid!,
      node: 'node-1',
    });
    expect(result).toBe('cannot read pod ml/unreadable: 503 Service Unavailable');
    expect(state.holding(p.metadata!.uid!)).toBeUndefined();
  });

  it('packs two half-GPU pods onto one device and writes the decision before binding', async () => {
    expect(await schedule(pod('a', { fraction: '0.5' }), 'node-1')).toBe('');
    expect(await schedule(pod('b', { fraction: '0.5' }), 'node-1')).toBe('');
    const [first, second] = api.bindings;
    expect(first?.annotations['phalanx.dev/gpu-devices']).toBe(
      second?.annotations['phalanx.dev/gpu-devices'],
    );
    const devices = state.nodeState('node-1')!.devices;
    expect(devices.map((d) => d.usedMilli).sort()).toEqual([0, 1000]);
    expect(state.holding('uid-a')?.state).toBe('committed');
  });

  it('is idempotent for a repeated bind of the same pod', async () => {
    const p = pod('a', { gpus: 1 });
    expect(await schedule(p, 'node-1')).toBe('');
    expect(await service.bind({ namespace: 'ml', name: 'a', uid: 'uid-a', node: 'node-1' })).toBe('');
    expect(api.bindings).toHaveLength(1);
    expect(state.totals().usedMilli).toBe(1000);
  });

  it('releases the devices and answers an error when the API refuses the binding', async () => {
    api.failNext = new BindError('other', 'etcd unavailable');
    const error = await schedule(pod('a', { gpus: 2 }), 'node-1');
    expect(error).toMatch(/etcd unavailable/);
    expect(state.holding('uid-a')).toBeUndefined();
    expect(state.nodeState('node-1')!.devices.every((d) => d.usedMilli === 0)).toBe(true);
  });

  it('treats a conflict on a pod already bound to the same node as success', async () => {
    const p = pod('a', { gpus: 1 });
    api.add(p);
    api.pods.get('ml/a')!.spec.nodeName = 'node-1';
    expect(await service.bind({ namespace: 'ml', name: 'a', uid: 'uid-a', node: 'node-1' })).toBe('');
    expect(state.holding('uid-a')?.state).toBe('committed');
  });

  it('refuses a pod that no longer exists or was recreated under the same name', async () => {
    api.add(pod('a', { gpus: 1 }));
    const error = await service.bind({ namespace: 'ml', name: 'a', uid: 'old-uid', node: 'node-1' });
    expect(error).toMatch(/no longer exists/);
    expect(state.totals().usedMilli).toBe(0);
  });

  it('does not hold the devices of a pod that finished before the bind returned', async () => {
    api.finishOnBind = true;
    expect(await schedule(pod('quick', { gpus: 2 }), 'node-1')).toBe('');
    expect(api.bindings).toHaveLength(1);
    expect(state.holding('uid-quick')).toBeUndefined();
    expect(state.totals().usedMilli).toBe(0);
  });

  it('never double-allocates: a bind to a node that filled up meanwhile fails', async () => {
    expect(await schedule(pod('a', { gpus: 2 }), 'node-1')).toBe('');
    const error = await schedule(pod('b', { gpus: 1 }), 'node-1');
    expect(error).toMatch(/cannot bind to node-1/);
    expect(state.totals().usedMilli).toBe(2000);
  });
});

describe('prioritize', () => {
  it('scores the fuller node highest under binpack', async () => {
    expect(await schedule(pod('a', { fraction: '0.5' }), 'node-2')).toBe('');
    const scores = service.prioritize(pod('b', { fraction: '0.25' }), ['node-1', 'node-2', 'cpu-1']);
    const byHost = Object.fromEntries(scores.map((s) => [s.host, s.score]));
    expect(byHost['node-2']).toBe(10);
    expect(byHost['node-1']).toBeLessThan(10);
    expect(byHost['cpu-1']).toBe(0);
  });
});

describe('prioritize over an unchanged node list', () => {
  it('follows a bind on one of the nodes', async () => {
    const hosts = ['node-1', 'node-2'];
    const before = service.prioritize(pod('p1', { fraction: '0.25' }), hosts);
    expect(before.map((s) => s.score)).toEqual([0, 0]);
    expect(await schedule(pod('a', { fraction: '0.5' }), 'node-2')).toBe('');
    const after = service.prioritize(pod('p2', { fraction: '0.25' }), [...hosts]);
    expect(after.map((s) => s.score)).toEqual([0, 10]);
  });

  it('follows a new version of a learning policy', () => {
    let version = 1;
    const favoured = { current: 'node-1' };
    const policy = {
      name: 'versioned',
      version: () => version,
      score: (c: { node: { inventory: { name: string } } }) =>
        c.node.inventory.name === favoured.current ? 1 : 0,
    };
    const svc = serviceWith(policy);
    const hosts = ['node-1', 'node-2'];
    expect(svc.prioritize(pod('p1', { gpus: 1 }), hosts).map((s) => s.score)).toEqual([10, 0]);
    favoured.current = 'node-2';
    // Same version: the policy promised the same scores, so the earlier answer stands.
    expect(svc.prioritize(pod('p2', { gpus: 1 }), hosts).map((s) => s.score)).toEqual([10, 0]);
    version = 2;
    expect(svc.prioritize(pod('p3', { gpus: 1 }), hosts).map((s) => s.score)).toEqual([0, 10]);
  });
});

describe('learning policies', () => {
  it('see each pod once, at its first filter, however often it is retried', () => {
    const seen: string[] = [];
    const learning = {
      name: 'learning',
      score: () => 0,
      observe: (demand: { gpu: { kind: string } }) => seen.push(demand.gpu.kind),
    };
    const svc = serviceWith(learning);
    svc.filter(pod('a', { fraction: '0.5' }), ['node-1']);
    svc.filter(pod('a', { fraction: '0.5' }), ['node-1']);
    svc.filter(pod('b', { gpus: 1 }), ['node-1']);
    svc.filter(pod('web'), ['node-1']);
    expect(seen).toEqual(['fraction', 'whole']);
  });
});

describe('capacity for learning policies', () => {
  it('is the schedulable GPUs per model, given before each observed pod and current at that moment', () => {
    const calls: string[] = [];
    const learning: PlacementPolicy = {
      name: 'learning',
      score: () => 0,
      observeCapacity: (gpus) => calls.push(`capacity ${JSON.stringify([...gpus])}`),
      observe: (demand) => calls.push(`observe ${demand.gpu.kind}`),
    };
    const svc = serviceWith(learning);
    const model = state.inventory('node-1')!.model;
    svc.filter(pod('a', { gpus: 1 }), ['node-1']);
    state.applyNode({ ...gpuNode('node-2', 2), unschedulable: true });
    svc.filter(pod('b', { fraction: '0.5' }), ['node-1']);
    svc.filter(pod('b', { fraction: '0.5' }), ['node-1']);
    expect(calls).toEqual([
      `capacity ${JSON.stringify([[model, 4]])}`,
      'observe whole',
      `capacity ${JSON.stringify([[model, 2]])}`,
      'observe fraction',
    ]);
  });
});

describe('demand of a frozen pod', () => {
  it('is parsed once and shared frozen; a pod that is not frozen is parsed on every call', () => {
    const frozen = deepFreeze(pod('p-frozen', { gpus: 1 }));
    const first = service.demandOf(frozen);
    expect(service.demandOf(frozen)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.gpu)).toBe(true);
    const open = pod('p-open', { gpus: 1 });
    const demand = service.demandOf(open);
    expect(service.demandOf(open)).not.toBe(demand);
    expect(service.demandOf(open)).toEqual(demand);
    expect(Object.isFrozen(demand)).toBe(false);
  });
});
