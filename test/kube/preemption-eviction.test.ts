import { describe, expect, it } from 'vitest';
import { budgetOf, ApiDisruptionBudgets } from '../../src/kube/disruption-budgets.js';
import {
  ApiPodNominator,
  ApiPreemptionEvictor,
  type EvictionApi,
} from '../../src/kube/preemption-eviction.js';
import { contentTypeOf } from '../fakes/kube-pod-api.js';
import { recordingApi } from './recording-api.js';

function api(o: { evictFails?: number; patchFails?: number } = {}) {
  return recordingApi<EvictionApi>(
    { createNamespacedPodEviction: 'evict', patchNamespacedPodStatus: 'patchStatus' },
    { evict: o.evictFails, patchStatus: o.patchFails },
  );
}

const ref = { namespace: 'ml', name: 'w-1', uid: 'u-1' };
const clock = { now: () => Date.parse('2026-12-01T12:00:00Z') };

describe('ApiPreemptionEvictor', () => {
  it('evicts through the Eviction API guarded by the UID, then marks the DisruptionTarget condition', async () => {
    const { fake, calls } = api();
    const result = await new ApiPreemptionEvictor(fake, clock).evict(
      ref,
      'PreemptionByPhalanx',
      'for gang ml/hi',
    );
    expect(result).toBe('evicted');
    expect(calls.map((c) => c.op)).toEqual(['evict', 'patchStatus']);
    expect(calls[0]?.args).toEqual({
      name: 'w-1',
      namespace: 'ml',
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'w-1', namespace: 'ml' },
        deleteOptions: { preconditions: { uid: 'u-1' } },
      },
    });
    expect(calls[1]?.args).toMatchObject({
      body: {
        metadata: { uid: 'u-1' },
        status: {
          conditions: [
            {
              type: 'DisruptionTarget',
              status: 'True',
              reason: 'PreemptionByPhalanx',
              message: 'phalanx: for gang ml/hi',
              lastTransitionTime: '2026-12-01T12:00:00.000Z',
            },
          ],
        },
      },
    });
    expect(await contentTypeOf(calls[1]?.options)).toBe('application/strategic-merge-patch+json');
  });

  it('says refused on 429 (a budget), gone on 404/409, and throws on other failures', async () => {
    const evict = (code: number) =>
      new ApiPreemptionEvictor(api({ evictFails: code }).fake, clock).evict(ref, 'r', 'm');
    await expect(evict(429)).resolves.toBe('refused');
    await expect(evict(404)).resolves.toBe('gone');
    await expect(evict(409)).resolves.toBe('gone');
    await expect(evict(500)).rejects.toThrow();
  });

  it('counts a pod gone before its condition was written as evicted', async () => {
    const { fake } = api({ patchFails: 404 });
    await expect(new ApiPreemptionEvictor(fake, clock).evict(ref, 'r', 'm')).resolves.toBe('evicted');
  });
});

describe('ApiPodNominator', () => {
  it('merge-patches status.nominatedNodeName, and accepts a pod already bound (422)', async () => {
    const { fake, calls } = api();
    await new ApiPodNominator(fake).nominate(ref, 'n1');
    expect(calls[0]?.args).toEqual({
      name: 'w-1',
      namespace: 'ml',
      body: { metadata: { uid: 'u-1' }, status: { nominatedNodeName: 'n1' } },
    });
    expect(await contentTypeOf(calls[0]?.options)).toBe('application/merge-patch+json');
    await expect(
      new ApiPodNominator(api({ patchFails: 422 }).fake).nominate(ref, 'n1'),
    ).resolves.toBeUndefined();
    await expect(new ApiPodNominator(api({ patchFails: 500 }).fake).nominate(ref, 'n1')).rejects.toThrow();
  });

  it('clears the nomination with a merge-patch null, a pod gone (404) being no error', async () => {
    const { fake, calls } = api();
    await new ApiPodNominator(fake).clear(ref);
    expect(calls[0]?.args).toEqual({
      name: 'w-1',
      namespace: 'ml',
      body: { metadata: { uid: 'u-1' }, status: { nominatedNodeName: null } },
    });
    expect(await contentTypeOf(calls[0]?.options)).toBe('application/merge-patch+json');
    await expect(new ApiPodNominator(api({ patchFails: 404 }).fake).clear(ref)).resolves.toBeUndefined();
  });
});

describe('ApiDisruptionBudgets', () => {
  it('reads selector and disruptionsAllowed; a budget not yet computed allows nothing', async () => {
    const source = new ApiDisruptionBudgets({
      listPodDisruptionBudgetForAllNamespaces: () =>
        Promise.resolve({
          items: [
            {
              metadata: { name: 'db', namespace: 'ml' },
              spec: { selector: { matchLabels: { app: 'db' } } },
              status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
            },
            { metadata: { name: 'new', namespace: 'ml' }, spec: {} },
          ],
        }),
    });
    expect(await source.budgets()).toEqual([
      { namespace: 'ml', name: 'db', selector: { matchLabels: { app: 'db' } }, disruptionsAllowed: 1 },
      { namespace: 'ml', name: 'new', disruptionsAllowed: 0 },
    ]);
    expect(budgetOf({ metadata: { name: 'x' } })).toEqual({
      namespace: 'default',
      name: 'x',
      disruptionsAllowed: 0,
    });
  });
});
