import { describe, expect, it } from 'vitest';
import { GangGates } from '../../../src/app/gang/gang-gates.js';
import type { PodRef } from '../../../src/app/ports.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { FakeMembers, gangPod } from './gang-harness.js';

const gates = (api: FakeApi) => (name: string) =>
  (api.pods.get(`ml/${name}`)?.spec.schedulingGates ?? []).map((g) => g.name);

describe('GangGates', () => {
  it('keeps every gate until the group is complete, then lifts all of them together', async () => {
    const api = new FakeApi();
    const lifter = new GangGates({ members: new FakeMembers(api), binder: api });
    const pods = [0, 1, 2].map((i) => gangPod(`g-${i}`, 'g', 3, { gpus: 8, gated: true }));
    api.add(pods[0]!);
    api.add(pods[1]!);
    expect(await lifter.podChanged(pods[1]!)).toBe(0);
    expect(gates(api)('g-0')).toEqual(['phalanx.dev/gang']);
    api.add(pods[2]!);
    expect(await lifter.podChanged(pods[2]!)).toBe(3);
    for (const name of ['g-0', 'g-1', 'g-2']) expect(gates(api)(name)).toEqual([]);
    // Later events of the complete group find nothing left to lift.
    expect(await lifter.podChanged(pods[0]!)).toBe(0);
  });

  it('counts an ungated member (a LeaderWorkerSet leader) but finished pods not', async () => {
    const api = new FakeApi();
    const lifter = new GangGates({ members: new FakeMembers(api), binder: api });
    const leader = gangPod('l-0', 'l', 2, { gpus: 8 });
    const worker = gangPod('l-1', 'l', 2, { gpus: 8, gated: true });
    api.add({ ...leader, status: { phase: 'Failed' } });
    api.add(worker);
    expect(await lifter.podChanged(worker)).toBe(0);
    api.add(leader);
    expect(await lifter.podChanged(leader)).toBe(1);
    expect(gates(api)('l-1')).toEqual([]);
  });

  it('reports a gate it could not remove and retries on the next event', async () => {
    const api = new FakeApi();
    const failures: PodRef[] = [];
    let failOnce = true;
    const binder = {
      removeSchedulingGate: (pod: PodRef, gate: string) => {
        if (failOnce) {
          failOnce = false;
          return Promise.reject(new Error('conflict'));
        }
        return api.removeSchedulingGate(pod, gate);
      },
    };
    const lifter = new GangGates({
      members: new FakeMembers(api),
      binder,
      onError: (pod) => failures.push(pod),
    });
    const pod = gangPod('s-0', 's', 1, { gpus: 1, gated: true });
    api.add(pod);
    expect(await lifter.podChanged(pod)).toBe(0);
    expect(failures.map((f) => f.name)).toEqual(['s-0']);
    expect(await lifter.podChanged(pod)).toBe(1);
    expect(gates(api)('s-0')).toEqual([]);
  });

  it('ignores pods outside any gang or with a malformed group', async () => {
    const api = new FakeApi();
    const lifter = new GangGates({ members: new FakeMembers(api), binder: api });
    const pod = gangPod('x', 'x', 1, { gated: true });
    const malformed = {
      ...pod,
      metadata: { ...pod.metadata, annotations: { 'phalanx.dev/pod-group': 'x' } },
    };
    expect(await lifter.podChanged(malformed)).toBe(0);
  });
});
