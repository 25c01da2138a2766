import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApiPodEvictor, type PodDeleteApi } from '../../src/kube/pod-evictor.js';

function api(fail?: number) {
  const calls: unknown[] = [];
  const fake = {
    deleteNamespacedPod: (args: unknown) => {
      calls.push(args);
      return fail === undefined
        ? Promise.resolve({})
        : Promise.reject(new ApiException(fail, 'failed', { message: 'failed' }, {}));
    },
  } as unknown as PodDeleteApi;
  return { fake, calls };
}

const ref = { namespace: 'ml', name: 'w-1', uid: 'u-1' };

describe('ApiPodEvictor', () => {
  it('deletes the pod with its UID as precondition', async () => {
    const { fake, calls } = api();
    await new ApiPodEvictor(fake).evict(ref);
    expect(calls).toEqual([{ name: 'w-1', namespace: 'ml', body: { preconditions: { uid: 'u-1' } } }]);
  });

  it('treats a pod already gone or replaced as done', async () => {
    await expect(new ApiPodEvictor(api(404).fake).evict(ref)).resolves.toBeUndefined();
    await expect(new ApiPodEvictor(api(409).fake).evict(ref)).resolves.toBeUndefined();
  });

  it('passes other failures on', async () => {
    await expect(new ApiPodEvictor(api(403).fake).evict(ref)).rejects.toThrow();
  });
});
