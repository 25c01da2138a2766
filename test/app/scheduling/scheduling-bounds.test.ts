// Bounds from input at the scheduling use case: numbers a pod states never size an allocation (a
// gang size past the limit is an "invalid request" naming the field, answered before any plan), and
// node names a request sends are never retained unless the cluster view knows them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { RejectCause } from '../../../src/app/placement/node-fit.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { nodeInventory } from '../../../src/core/inventory.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { GangHarness, gangPod } from '../gang/gang-harness.js';

function gpuNode(name: string, gpus: number) {
  return nodeInventory({
    metadata: { name, labels: { 'nvidia.com/gpu.memory': '81920', 'nvidia.com/gpu.product': 'H100' } },
    status: { allocatable: { 'nvidia.com/gpu': String(gpus) } },
  });
}

const KNOWN = ['node-1', 'node-2', 'node-3', 'node-4'];

function service(limits?: { maxGroupSize?: number; maxGpusPerPod?: number }) {
  const state = new ClusterState();
  for (const name of KNOWN) state.applyNode(gpuNode(name, 8));
  const api = new FakeApi();
  return new SchedulingService({
    state,
    policyFor: () => policyByName('binpack'),
    pods: api,
    binding: new BindingWriter({ state, binder: api, pods: api }),
    clock: { now: () => 1_000_000 },
    reservationTtlMs: 30_000,
    levels: [],
    notServingReason: () => undefined,
    ...(limits ? { limits } : {}),
  });
}

function fractionPod(uid: string, fraction: string): PodShape {
  return {
    metadata: { name: uid, namespace: 'ml', uid, annotations: { 'phalanx.dev/gpu-fraction': fraction } },
    spec: { containers: [{ name: 'main' }] },
  };
}

describe('gang size past the limit', () => {
  it('answers "invalid request" naming phalanx.dev/group-size without planning (issue 17: heap OOM)', () => {
    const harness = new GangHarness({ inventories: KNOWN.map((n) => gpuNode(n, 8)) });
    const pod = gangPod('huge-0', 'huge', 999_999_999, { gpus: 1 });
    harness.add(pod);
    const before = process.memoryUsage().heapUsed;
    const out = harness.filter(pod);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(out.feasible).toEqual([]);
    for (const node of KNOWN) {
      expect(out.unresolvable[node]).toMatch(/^invalid request: annotation phalanx\.dev\/group-size: /);
      expect(out.unresolvable[node]).toContain('limits.maxGroupSize');
    }
    expect(out.rejected?.get(RejectCause.invalidRequest)).toBe(KNOWN.length);
    expect(harness.coordinator.plans()).toEqual([]);
  });

  it('takes the configured limit, and still plans a gang within it', () => {
    const harness = new GangHarness({ inventories: KNOWN.map((n) => gpuNode(n, 8)) });
    const pods = [0, 1].map((i) => gangPod(`g-${i}`, 'g', 2, { gpus: 1 }));
    harness.add(...pods);
    expect(harness.filter(pods[0]!).feasible).toHaveLength(1);

    const strict = service({ maxGroupSize: 4 });
    const out = strict.filter(gangPod('five-0', 'five', 5, { gpus: 1 }), KNOWN);
    expect(out.unresolvable['node-1']).toMatch(/"5" is more than the largest gang allowed, 4 members/);
  });

  it('refuses more whole GPUs per pod than the limit, naming nvidia.com/gpu', () => {
    const pod: PodShape = {
      metadata: { name: 'big', namespace: 'ml', uid: 'big' },
      spec: { containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '65' } } }] },
    };
    const out = service().filter(pod, KNOWN);
    expect(out.unresolvable['node-1']).toMatch(/^invalid request: resource nvidia\.com\/gpu: 65 whole GPUs/);
    const allowed = service({ maxGpusPerPod: 128 }).filter(pod, KNOWN);
    expect(allowed.unresolvable['node-1']).toMatch(/node has 8 GPUs, pod needs 65 GPU/);
  });
});

describe('caches keyed by request input', () => {
  it('answers an unknown node name "unknown node" and keeps nothing for it', () => {
    const svc = service();
    const out = svc.filter(fractionPod('u1', '0.5'), ['invented-1', 'node-1']);
    expect(out.feasible).toEqual(['node-1']);
    expect(out.rejected?.get(RejectCause.unknownNode)).toBe(1);
    const none = svc.filter(fractionPod('u2', '0.5'), ['invented-2']);
    expect(none.unresolvable['invented-2']).toMatch(/^unknown node/);
    expect(svc.placement.size().fits).toBe(1);
  });

  it('stays bounded over 200 000 random node names (fits, scores and the node-list memo)', () => {
    const svc = service();
    const shapes = ['0.25', '0.5', '0.75'];
    let sent = 0;
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 1000, maxLength: 1000 }),
        fc.integer({ min: 0, max: shapes.length - 1 }),
        (names, shape) => {
          const pod = fractionPod(`uid-${sent}`, shapes[shape]!);
          const list = [...names, ...KNOWN];
          const out = svc.filter(pod, list);
          expect(out.feasible).toEqual(KNOWN);
          const scores = svc.prioritize(pod, list);
          expect(scores).toHaveLength(list.length);
          sent += names.length;
        },
      ),
      { numRuns: 200, seed: 17 },
    );
    expect(sent).toBe(200_000);
    const size = svc.placement.size();
    // Only known nodes are cached: one entry per known node per demand shape (and per policy + shape).
    expect(size.fits).toBeLessThanOrEqual(KNOWN.length * shapes.length);
    expect(size.scores).toBeLessThanOrEqual(KNOWN.length * shapes.length);
  });
});
