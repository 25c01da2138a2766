// After the barrier opens: a failed member Binding is retried while the scheduler still waits, and a
// gang that still cannot be bound whole is unwound (bound members evicted with an Event, the plan
// released), never left half-bound (issue 17).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { GangCoordinator } from '../../../src/app/gang/gang-coordinator.js';
import { BindError, type PodRef } from '../../../src/app/ports.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { generateFabric } from '../../../testbed/gpu-fabric.js';
import { FakeMembers, RecordingEvents, gangPod } from './gang-harness.js';

/** FakeApi whose Bindings fail as scripted per pod name, and which records evictions. */
class ScriptedApi extends FakeApi {
  readonly script = new Map<string, BindError[]>();
  /** The API server applies the Binding, but the answer is lost (timeout). */
  readonly landsThenTimesOut = new Set<string>();
  readonly evicted: string[] = [];
  leading = true;

  override annotateAndBind(pod: PodRef, node: string, annotations: Readonly<Record<string, string>>) {
    const next = this.script.get(pod.name)?.shift();
    if (next !== undefined) return Promise.reject(next);
    const bound = super.annotateAndBind(pod, node, annotations);
    if (!this.landsThenTimesOut.delete(pod.name)) return bound;
    // Every later attempt times out too, its read-back failing: the outcome stays unknown.
    const unknown = () => new BindError('unknown', 'timeout; read-back failed');
    this.script.set(pod.name, Array.from({ length: 100 }, unknown));
    return bound.then(() => Promise.reject(unknown()));
  }

  evict(pod: PodRef): Promise<void> {
    this.evicted.push(pod.name);
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    return Promise.resolve();
  }

  holdsLeaseWithMargin(): boolean {
    return this.leading;
  }
}

function setup() {
  const { inventories } = generateFabric({
    zones: 1,
    leafsPerZone: 1,
    cliquesPerLeaf: 1,
    nodesPerClique: 3,
    gpusPerNode: 8,
  });
  const state = ClusterState.restore({}, inventories, []).state;
  const api = new ScriptedApi();
  const events = new RecordingEvents();
  const clock = { now: () => Date.now() };
  const binding = new BindingWriter({ state, binder: api, pods: api, fence: api });
  const coordinator = new GangCoordinator({
    state,
    members: new FakeMembers(api),
    pods: api,
    clock,
    levels: DEFAULT_TOPOLOGY_LEVELS,
    policyFor: () => policyByName('binpack'),
    binding,
    reservationTtlMs: 60_000,
    bindBarrierMs: 25_000,
    evictor: api,
    fence: api,
    events,
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
    gangs: coordinator,
  });
  const nodes = inventories.map((i) => i.name);
  const pods = [0, 1, 2].map((i) => gangPod(`m${i}`, 'g', 3, { gpus: 8 }));
  for (const p of pods) api.add(p);
  const schedule = (pod: PodShape): Promise<string> => {
    const node = service.filter(pod, nodes).feasible[0]!;
    const m = pod.metadata!;
    return service.bind({ namespace: m.namespace!, name: m.name!, uid: m.uid!, node });
  };
  return { state, api, events, pods, schedule, coordinator };
}

const unavailable = () => new BindError('unbound', 'HTTP 503: etcd leader changed; still unbound');

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('gang bind after the barrier opens', () => {
  it('retries a member whose Binding failed with a 503 and binds the whole gang', async () => {
    const t = setup();
    t.api.script.set('m1', [unavailable(), unavailable()]);
    const results = Promise.all(t.pods.map((p) => t.schedule(p)));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await results).toEqual(['', '', '']);
    expect(t.api.bindings.map((b) => b.pod.name).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(t.state.ledger.committed()).toHaveLength(3);
    expect(t.state.ledger.reservations()).toEqual([]);
  });

  it('evicts the bound members, with an Event each, when one member still cannot be bound', async () => {
    const t = setup();
    // The 503 lasts longer than the scheduler waits.
    t.api.script.set('m1', Array.from({ length: 100 }, unavailable));
    const results = Promise.all(t.pods.map((p) => t.schedule(p)));
    await vi.advanceTimersByTimeAsync(30_000);
    const [r0, r1, r2] = await results;
    expect([r0, r2]).toEqual(['', '']);
    expect(r1).toMatch(/gang g: member ml\/m1 could not be bound .*HTTP 503.*bound members are evicted/);
    expect(t.api.evicted.sort()).toEqual(['m0', 'm2']);
    const evictions = t.events.events.filter((e) => e.reason === 'GangBindFailed');
    expect(evictions.map((e) => e.pod).sort()).toEqual(['ml/m0', 'ml/m1', 'ml/m2']);
    expect(evictions.find((e) => e.pod === 'ml/m0')?.message).toMatch(/evicting ml\/m0 so its controller/);
    // The plan is gone and nothing stays reserved for it; the bound members' devices are held
    // until their pods are seen gone (the informer releases them).
    expect(t.coordinator.plans()).toEqual([]);
    expect(t.state.ledger.reservations()).toEqual([]);
  });

  it('retries only within the scheduler timeout counted from the first arrival', async () => {
    const t = setup();
    t.api.script.set('m2', Array.from({ length: 1_000 }, unavailable));
    const first = t.schedule(t.pods[0]!);
    const second = t.schedule(t.pods[1]!);
    await vi.advanceTimersByTimeAsync(20_000);
    const last = t.schedule(t.pods[2]!);
    // 30 s from the first arrival, less a 5 s margin: about 5 s of retries remain.
    await vi.advanceTimersByTimeAsync(6_000);
    expect(await last).toMatch(/could not be bound/);
    expect(await Promise.all([first, second])).toEqual(['', '']);
    const attempts = 1_000 - (t.api.script.get('m2')?.length ?? 0);
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(10);
  });

  it('evicts a member whose Binding may have landed and keeps its devices until it is seen gone', async () => {
    const t = setup();
    t.api.landsThenTimesOut.add('m0');
    t.api.script.set('m2', [new BindError('other', 'HTTP 403: forbidden')]);
    const results = Promise.all(t.pods.map((p) => t.schedule(p)));
    await vi.advanceTimersByTimeAsync(30_000);
    const answers = await results;
    expect(answers[1]).toBe('');
    expect(answers[0]).toMatch(/member ml\/m0 could not be bound .*read-back failed/);
    expect(answers[2]).toMatch(/could not be bound/);
    expect(t.api.evicted.sort()).toEqual(['m0', 'm1']);
    // m0: outcome unknown (it did land) → its reservation stays for the informer or the TTL.
    expect(t.state.holding('uid-m0')?.state).toBe('reserved');
    expect(t.state.holding('uid-m2')).toBeUndefined();
  });

  it('binds nothing more once the Lease is no longer held', async () => {
    const t = setup();
    t.api.script.set('m1', [unavailable()]);
    const results = Promise.all(t.pods.map((p) => t.schedule(p)));
    await vi.advanceTimersByTimeAsync(0);
    t.api.leading = false;
    await vi.advanceTimersByTimeAsync(30_000);
    const answers = await results;
    expect(answers[1]).toMatch(/no longer holds the leader Lease/);
    // The others were bound in the first round; the evictions are fenced too: the next leader
    // completes (or unwinds) the gang.
    expect(t.api.evicted).toEqual([]);
  });
});
