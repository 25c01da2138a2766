import { describe, expect, it } from 'vitest';
import { ApiPodEvictor, type PodDeleteApi } from '../../src/kube/pod-evictor.js';
import { contentTypeOf } from '../fakes/kube-pod-api.js';
import { recordingApi } from './recording-api.js';

function api(o: { patchFails?: number; deleteFails?: number } = {}) {
  return recordingApi<PodDeleteApi>(
    { patchNamespacedPodStatus: 'patchStatus', deleteNamespacedPod: 'delete' },
    { patchStatus: o.patchFails, delete: o.deleteFails },
  );
}

const ref = { namespace: 'ml', name: 'w-1', uid: 'u-1' };
const clock = { now: () => Date.parse('2026-11-26T12:00:00Z') };

describe('ApiPodEvictor', () => {
  it('marks the pod a disruption target (strategic merge on its status), then deletes it by UID', async () => {
    const { fake, calls } = api();
    await new ApiPodEvictor(fake, clock).evict(ref, 'gang ml/g is evicted whole');
    expect(calls.map((c) => c.op)).toEqual(['patchStatus', 'delete']);
    expect(calls[0]?.args).toEqual({
      name: 'w-1',
      namespace: 'ml',
      body: {
        metadata: { uid: 'u-1' },
        status: {
          conditions: [
            {
              type: 'DisruptionTarget',
              status: 'True',
              reason: 'PreemptionOfGang',
              message: 'phalanx: gang ml/g is evicted whole',
              lastTransitionTime: '2026-11-26T12:00:00.000Z',
            },
          ],
        },
      },
    });
    expect(await contentTypeOf(calls[0]?.options)).toBe('application/strategic-merge-patch+json');
    expect(calls[1]?.args).toEqual({ name: 'w-1', namespace: 'ml', body: { preconditions: { uid: 'u-1' } } });
  });

  it('still deletes when the status patch fails, and stops when the pod is gone', async () => {
    const failed = api({ patchFails: 500 });
    await new ApiPodEvictor(failed.fake, clock).evict(ref, 'x');
    expect(failed.calls.map((c) => c.op)).toEqual(['patchStatus', 'delete']);
    const gone = api({ patchFails: 404 });
    await new ApiPodEvictor(gone.fake, clock).evict(ref, 'x');
    expect(gone.calls.map((c) => c.op)).toEqual(['patchStatus']);
  });

  it('treats a pod already gone or replaced as done', async () => {
    await expect(
      new ApiPodEvictor(api({ deleteFails: 404 }).fake, clock).evict(ref, 'x'),
    ).resolves.toBeUndefined();
    await expect(
      new ApiPodEvictor(api({ deleteFails: 409 }).fake, clock).evict(ref, 'x'),
    ).resolves.toBeUndefined();
  });

  it('passes other delete failures on', async () => {
    await expect(new ApiPodEvictor(api({ deleteFails: 403 }).fake, clock).evict(ref, 'x')).rejects.toThrow();
  });
});
