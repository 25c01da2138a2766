import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { PodIndex } from '../../src/kube/pod-index.js';

const pod = (name: string, uid: string, node?: string, phase = 'Running'): PodShape => ({
  metadata: { name, namespace: 'ml', uid, annotations: { 'phalanx.dev/pod-group': 'g' } },
  spec: node ? { nodeName: node } : {},
  status: { phase },
});
const names = (pods: readonly PodShape[]): string[] => pods.map((p) => p.metadata?.name ?? '').sort();

describe('PodIndex by node and UID', () => {
  it('lists the unfinished pods bound to a node and follows a pod when it is bound', () => {
    const index = new PodIndex();
    index.upsert(pod('a', 'ua', 'n1'));
    index.upsert(pod('b', 'ub'));
    index.upsert(pod('c', 'uc', 'n1', 'Succeeded'));
    expect(names(index.podsOn('n1'))).toEqual(['a']);
    index.upsert(pod('b', 'ub', 'n1'));
    expect(names(index.podsOn('n1'))).toEqual(['a', 'b']);
    expect(index.podsOn('n2')).toEqual([]);
  });

  it('forgets a deleted pod, and a pod recreated under its name replaces it everywhere', () => {
    const index = new PodIndex();
    index.upsert(pod('a', 'u1', 'n1'));
    index.upsert(pod('a', 'u2', 'n2'));
    expect(index.podsOn('n1')).toEqual([]);
    expect(names(index.podsOn('n2'))).toEqual(['a']);
    expect(index.byUid('u1')).toBeUndefined();
    expect(index.byUid('u2')?.spec?.nodeName).toBe('n2');
    index.remove(pod('a', 'u1', 'n2'));
    expect(index.byUid('u2')).toBeDefined();
    index.remove(pod('a', 'u2', 'n2'));
    expect(index.podsOn('n2')).toEqual([]);
    expect(index.byUid('u2')).toBeUndefined();
    expect(index.members('ml/g')).toEqual([]);
  });

  it('places a pod this replica bound on its node before the informer says so, and keeps it there', () => {
    const index = new PodIndex();
    index.upsert(pod('a', 'ua'));
    index.assumeBound('ua', 'n1');
    expect(names(index.podsOn('n1'))).toEqual(['a']);
    expect(index.usageOn('n1').podCount).toBe(1);
    // A status update written before the Binding, delivered after it: still on n1.
    index.upsert({ ...pod('a', 'ua'), status: { phase: 'Pending' } });
    expect(names(index.podsOn('n1'))).toEqual(['a']);
    expect(index.byUid('ua')?.status?.phase).toBe('Pending');
    // The informer's own bound version replaces the assumed one.
    index.upsert(pod('a', 'ua', 'n1'));
    expect(names(index.podsOn('n1'))).toEqual(['a']);
    // A pod recreated under the name, not yet bound, is not on the node.
    index.upsert(pod('a', 'ua2'));
    expect(index.podsOn('n1')).toEqual([]);
    // Unknown pods and pods already bound are left alone.
    index.assumeBound('nobody', 'n1');
    index.upsert(pod('b', 'ub', 'n2'));
    index.assumeBound('ub', 'n1');
    expect(index.podsOn('n1')).toEqual([]);
    expect(names(index.podsOn('n2'))).toEqual(['b']);
    index.remove(pod('b', 'ub'));
    expect(index.podsOn('n2')).toEqual([]);
  });

  it('remembers the node of a pod bound before the informer delivered it at all', () => {
    const index = new PodIndex();
    index.assumeBound('ua', 'n1');
    expect(index.podsOn('n1')).toEqual([]);
    index.upsert(pod('a', 'ua'));
    expect(names(index.podsOn('n1'))).toEqual(['a']);
    // Deleted before the informer saw it bound: nothing is assumed for it any more.
    index.assumeBound('ub', 'n2');
    index.remove(pod('b', 'ub'));
    index.upsert(pod('b', 'ub'));
    expect(index.podsOn('n2')).toEqual([]);
  });
});
