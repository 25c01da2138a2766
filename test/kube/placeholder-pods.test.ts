import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { PlaceholderSpec } from '../../src/core/autoscaling/placeholder-plan.js';
import {
  ApiPlaceholderPods,
  placeholderPodManifest,
  type PlaceholderPodApi,
} from '../../src/kube/placeholder-pods.js';

const OPTIONS = {
  namespace: 'phalanx-system',
  image: 'registry.k8s.io/pause:3.10',
  priorityClassName: 'phalanx-capacity-placeholder',
};
const spec: PlaceholderSpec = {
  name: 'phalanx-placeholder-abc-0',
  unit: 'abc',
  kind: 'gang',
  gpus: 4,
  cpuMilli: 1500,
  memoryBytes: 2 ** 30,
  constraints: {
    nodeSelector: { pool: 'burst' },
    nodeAffinityTerms: [
      { matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['H100'] }] },
    ],
    tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
  },
  colocateKey: 'nvidia.com/gpu.clique',
  demand: 'gang team/g: team/m0',
  forPods: ['team/m0'],
  specHash: 'h1',
};

describe('placeholderPodManifest', () => {
  const pod = placeholderPodManifest(spec, OPTIONS);

  it('asks for whole GPUs with the demand constraints, for the default scheduler', () => {
    expect(pod.spec?.schedulerName).toBeUndefined();
    expect(pod.spec?.priorityClassName).toBe('phalanx-capacity-placeholder');
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(0);
    expect(pod.spec?.containers[0]?.resources).toEqual({
      requests: { 'nvidia.com/gpu': '4', cpu: '1500m', memory: String(2 ** 30) },
      limits: { 'nvidia.com/gpu': '4' },
    });
    expect(pod.spec?.nodeSelector).toEqual({ pool: 'burst' });
    expect(pod.spec?.tolerations).toEqual(spec.constraints.tolerations);
    expect(
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).toEqual(spec.constraints.nodeAffinityTerms);
  });

  it('lands with the rest of its unit in one domain of the level', () => {
    expect(pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        labelSelector: { matchLabels: { 'phalanx.dev/capacity-placeholder': 'abc' } },
        topologyKey: 'nvidia.com/gpu.clique',
      },
    ]);
    expect(pod.metadata?.labels?.['phalanx.dev/capacity-placeholder']).toBe('abc');
    expect(pod.metadata?.annotations?.['phalanx.dev/capacity-placeholder-spec']).toBe('h1');
  });

  it('meets the restricted Pod Security profile of phalanx-system', () => {
    expect(pod.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec?.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('ApiPlaceholderPods', () => {
  it('deletes at once, guarded by UID, and treats gone as done; reports an existing pod', async () => {
    const calls: unknown[] = [];
    const api = {
      createNamespacedPod: () => Promise.reject(new ApiException(409, 'exists', {}, {})),
      deleteNamespacedPod: (req: unknown) => {
        calls.push(req);
        return Promise.reject(new ApiException(404, 'gone', {}, {}));
      },
    } as unknown as PlaceholderPodApi;
    const pods = new ApiPlaceholderPods(api, OPTIONS);
    expect(await pods.create(spec)).toBe('exists');
    await pods.delete('p', 'u1');
    expect(calls).toEqual([
      {
        name: 'p',
        namespace: 'phalanx-system',
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: 'u1' } },
      },
    ]);
  });
});
