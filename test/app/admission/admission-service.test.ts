import { describe, expect, it } from 'vitest';
import {
  AdmissionService,
  type AdmissionServiceOptions,
} from '../../../src/app/admission/admission-service.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { parsePodDemand } from '../../../src/core/pod-demand.js';
import { FakeOwnerReader } from '../../fakes/owner-reader.js';

const GiB = 1024 ** 3;
const PHALANX_SA = 'system:serviceaccount:phalanx-system:phalanx';

function service(overrides: Partial<AdmissionServiceOptions> = {}): AdmissionService {
  return new AdmissionService({
    owners: new FakeOwnerReader(),
    schedulerName: 'phalanx-scheduler',
    routeToScheduler: true,
    gateGangs: true,
    trustedUsernames: [PHALANX_SA],
    maxDeviceMemoryBytes: () => 80 * GiB,
    ...overrides,
  });
}

function pod(
  annotations: Record<string, string>,
  extra: Partial<NonNullable<PodShape['spec']>> = {},
): PodShape {
  return {
    metadata: { generateName: 'p-', annotations },
    spec: { schedulerName: 'default-scheduler', containers: [{ name: 'main' }], ...extra },
  };
}

const create = (object: PodShape, namespace = 'ml') =>
  service().review({ operation: 'CREATE', namespace, username: 'alice', object });

describe('AdmissionService', () => {
  it.each(['DELETE', 'CONNECT'] as const)('%s is allowed without a mutation', async (operation) => {
    expect(await service().review({ operation, namespace: 'ml', username: 'alice' })).toEqual({
      allowed: true,
      warnings: [],
    });
  });

  it('lets Phalanx itself write decision annotations on UPDATE', async () => {
    const before = pod({});
    const after = pod({ 'phalanx.dev/gpu-devices': '0:500m' });
    const decision = await service().review({
      operation: 'UPDATE',
      namespace: 'ml',
      username: PHALANX_SA,
      object: after,
      oldObject: before,
    });
    expect(decision.allowed).toBe(true);
    const refused = await service().review({
      operation: 'UPDATE',
      namespace: 'ml',
      username: 'system:serviceaccount:ml:default',
      object: after,
      oldObject: before,
    });
    expect(refused.allowed).toBe(false);
  });

  it('reports a forged annotation, a bad LWS size and a bad fraction together', async () => {
    const object: PodShape = {
      metadata: {
        labels: { 'leaderworkerset.sigs.k8s.io/name': 'l', 'leaderworkerset.sigs.k8s.io/group-index': '0' },
        annotations: {
          'phalanx.dev/placement-level': 'node',
          'leaderworkerset.sigs.k8s.io/size': '0',
          'phalanx.dev/gpu-fraction': 'abc',
        },
      },
      spec: { containers: [{ name: 'main' }] },
    };
    const decision = await create(object);
    expect(decision.allowed ? [] : decision.reasons.map((r) => [r.field, r.rule])).toEqual([
      ['metadata.annotations[phalanx.dev/placement-level]', 'forbidden'],
      ['annotation leaderworkerset.sigs.k8s.io/size', 'out-of-range'],
      ['phalanx.dev/gpu-fraction', 'not-a-number'],
    ]);
  });

  it('an explicit pod-group without size is refused once, by the pair rule', async () => {
    const decision = await create(pod({ 'phalanx.dev/pod-group': 'g' }));
    expect(decision.allowed ? [] : decision.reasons.map((r) => [r.field, r.rule])).toEqual([
      ['phalanx.dev/group-size', 'missing-pair'],
    ]);
  });

  it('uses request.namespace for the gang key when the object has none', async () => {
    const decision = await create(
      pod({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '2' }),
      'team-a',
    );
    expect(decision.allowed && decision.gang).toBe('team-a/g');
  });

  it('keeps a user-written gpu-milli request and adds no second one', async () => {
    const object = pod(
      { 'phalanx.dev/gpu-fraction': '0.5' },
      {
        containers: [{ name: 'a' }, { name: 'b', resources: { limits: { 'phalanx.dev/gpu-milli': '500' } } }],
      },
    );
    const decision = await create(object);
    expect(decision.allowed && decision.pod?.spec?.containers).toEqual([
      { name: 'a' },
      { name: 'b', resources: { limits: { 'phalanx.dev/gpu-milli': '500' } } },
    ]);
  });

  it('does not reroute a pod that chose another scheduler', async () => {
    const decision = await create(pod({ 'phalanx.dev/gpu-fraction': '0.5' }, { schedulerName: 'volcano' }));
    expect(decision.allowed && decision.pod?.spec?.schedulerName).toBe('volcano');
  });

  it('routes a GPU-less gang (it is managed) and gates it once', async () => {
    const object = pod(
      { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '3' },
      { schedulingGates: [{ name: 'phalanx.dev/gang' }] },
    );
    const decision = await create(object);
    expect(decision.allowed && decision.pod?.spec).toMatchObject({
      schedulerName: 'phalanx-scheduler',
      schedulingGates: [{ name: 'phalanx.dev/gang' }],
    });
  });

  it('does not gate a gang of one', async () => {
    const decision = await create(pod({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '1' }));
    expect(decision.allowed && decision.pod?.spec?.schedulingGates).toBeUndefined();
  });

  it('does not mutate the object it was given', async () => {
    const object = pod({ 'gpu-fraction': '0.5' });
    const before = structuredClone(object);
    await create(object);
    expect(object).toEqual(before);
  });

  it.each([
    ['fraction alias', { 'gpu-fraction': '0.3' }, { kind: 'fraction', milli: 300 }],
    [
      'memory only',
      { 'phalanx.dev/gpu-memory': '40Gi' },
      { kind: 'fraction', milli: 500, memoryBytes: 40 * GiB },
    ],
    [
      'fraction and memory',
      { 'gpu-fraction': '0.1', 'gpu-memory': '1024' },
      { kind: 'fraction', milli: 100, memoryBytes: GiB },
    ],
  ])('the mutated %s pod parses to the share it was given', async (_name, annotations, gpu) => {
    const decision = await create(pod(annotations));
    if (!decision.allowed || decision.pod === undefined) throw new Error('expected a mutated pod');
    expect(parsePodDemand(decision.pod, { maxDeviceMemoryBytes: 80 * GiB }).gpu).toEqual(gpu);
  });
});
