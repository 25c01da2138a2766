// The pods kube-scheduler sent with filter, kept for the bind that may come before the informer
// has them: the bind reserves at once, and the next pod sees the device taken.
import { describe, expect, it } from 'vitest';
import { SentPods } from '../../../src/app/scheduling/sent-pods.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { CachedPodReader } from '../../../src/kube/pod-reader.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { binpackService, h100Node, pendingGpuPod } from '../../support/scheduling-fixtures.js';

describe('SentPods', () => {
  it('keeps the latest pod per namespace/name, and forgets the oldest past its capacity', () => {
    const sent = new SentPods(2);
    const a = pendingGpuPod('a');
    sent.remember(a);
    sent.remember(pendingGpuPod('b'));
    const a2 = pendingGpuPod('a', { gpus: 2 });
    sent.remember(a2);
    expect(sent.get('ml', 'a')).toBe(a2);
    sent.remember(pendingGpuPod('c'));
    expect(sent.get('ml', 'b')).toBeUndefined();
    expect(sent.get('ml', 'a')).toBe(a2);
    expect(sent.get('ml', 'c')).toBeDefined();
    expect(sent.get('other', 'a')).toBeUndefined();
  });

  it('lets bind reserve a filtered pod the informer has not delivered, without reading the API', async () => {
    const state = new ClusterState();
    state.applyNode(h100Node('node-1', 2));
    const api = new FakeApi();
    const sent = new SentPods();
    const reads: string[] = [];
    // The API read never answers: a bind that needs it would hang; one that does not, completes.
    const reader = new CachedPodReader(
      { get: (ns, name) => sent.get(ns, name) },
      {
        readNamespacedPod: ({ name }: { name: string }) => {
          reads.push(name);
          return new Promise<never>(() => undefined);
        },
      },
    );
    const service = binpackService(state, api, { pods: reader, sentPods: sent });
    const half = (name: string): PodShape => pendingGpuPod(name, { fraction: '0.5' });
    const first = half('r-0');
    api.add(first);
    expect(service.filter(first, ['node-1']).feasible).toEqual(['node-1']);
    const uid = first.metadata!.uid!;
    expect(await service.bind({ namespace: 'ml', name: 'r-0', uid, node: 'node-1' })).toBe('');
    expect(reads).toEqual([]);
    expect(state.holding(uid)?.state).toBe('committed');
    // A pod never filtered here is read from the API (which this test never answers).
    const unknown = service.bind({ namespace: 'ml', name: 'r-9', uid: 'uid-r-9', node: 'node-1' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads).toEqual(['r-9']);
    void unknown;
  });
});
