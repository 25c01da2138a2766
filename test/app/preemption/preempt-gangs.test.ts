import { describe, expect, it } from 'vitest';
import { GangPreemption, preemptedByScheduler } from '../../../src/app/preemption/preempt-gangs.js';
import type { PodRef } from '../../../src/app/ports.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';

interface Opts {
  node?: string;
  preempted?: boolean;
  deleting?: boolean;
  phase?: string;
  group?: string;
}

function member(name: string, o: Opts = {}): PodShape {
  const conditions = o.preempted
    ? [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }]
    : [];
  return {
    metadata: {
      name,
      namespace: 'ml',
      uid: `uid-${name}`,
      annotations: { 'phalanx.dev/pod-group': o.group ?? 'train', 'phalanx.dev/group-size': '3' },
      ...(o.deleting ? { deletionTimestamp: '2026-11-26T12:00:00Z' } : {}),
    },
    spec: { ...(o.node === undefined ? {} : { nodeName: o.node }), containers: [] },
    status: { phase: o.phase ?? 'Running', conditions } as PodShape['status'],
  };
}

function setup(pods: PodShape[], active = true) {
  const evicted: PodRef[] = [];
  const events: { pod: PodRef; reason: string; message: string }[] = [];
  const counts: number[] = [];
  const reasons: string[] = [];
  const gangs = new GangPreemption({
    members: {
      members: (key) =>
        pods.filter((p) => `ml/${p.metadata?.annotations?.['phalanx.dev/pod-group']}` === key),
    },
    evictor: {
      evict: (pod, message) => {
        evicted.push(pod);
        reasons.push(message);
        return Promise.resolve();
      },
    },
    active: () => active,
    events: { podEvent: (pod, _type, reason, message) => events.push({ pod, reason, message }) },
    onEvicted: (n) => counts.push(n),
  });
  return { gangs, evicted, events, counts, reasons };
}

describe('GangPreemption', () => {
  it('recognises only the scheduler preemption mark', () => {
    expect(preemptedByScheduler(member('a', { preempted: true }))).toBe(true);
    expect(preemptedByScheduler(member('a'))).toBe(false);
    const evictedByApi = {
      ...member('b'),
      status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }] },
    } as PodShape;
    expect(preemptedByScheduler(evictedByApi)).toBe(false);
  });

  it('deletes the bound gang-mates on other nodes once one member is preempted', () => {
    const victim = member('w-0', { node: 'n1', preempted: true });
    const pods = [victim, member('w-1', { node: 'n2' }), member('w-2', { node: 'n3' })];
    const { gangs, evicted, events, counts, reasons } = setup(pods);
    gangs.podChanged(victim);
    expect(reasons[0]).toBe('gang ml/train is evicted whole: member w-0 was preempted by the scheduler');
    expect(evicted.map((p) => p.name).sort()).toEqual(['w-1', 'w-2']);
    expect(evicted.map((p) => p.uid).sort()).toEqual(['uid-w-1', 'uid-w-2']);
    expect(events.map((e) => e.reason)).toEqual(['GangPreempted', 'GangPreempted']);
    expect(events[0]?.message).toContain('member w-0 was preempted by the scheduler');
    expect(counts).toEqual([2]);
  });

  it('does it once per mate, however often the victim is seen again', () => {
    const victim = member('w-0', { node: 'n1', preempted: true });
    const { gangs, evicted } = setup([victim, member('w-1', { node: 'n2' })]);
    gangs.podChanged(victim);
    gangs.podChanged(victim);
    expect(evicted).toHaveLength(1);
  });

  it('leaves alone unbound, terminating, finished and already-preempted mates, and other gangs', () => {
    const victim = member('w-0', { node: 'n1', preempted: true });
    const pods = [
      victim,
      member('w-1'),
      member('w-2', { node: 'n2', deleting: true }),
      member('w-3', { node: 'n2', phase: 'Failed' }),
      member('w-4', { node: 'n3', preempted: true }),
      member('x-0', { node: 'n2', group: 'other' }),
    ];
    const { gangs, evicted } = setup(pods);
    expect(gangs.podChanged(victim)).toEqual([]);
    expect(evicted).toEqual([]);
  });

  it('does nothing for unmarked pods, pods outside gangs, or when not the serving leader', () => {
    const marked = member('w-0', { node: 'n1', preempted: true });
    const mate = member('w-1', { node: 'n2' });
    expect(setup([marked, mate]).gangs.podChanged(mate)).toEqual([]);
    expect(setup([marked, mate], false).gangs.podChanged(marked)).toEqual([]);
    const loner = { ...marked, metadata: { ...marked.metadata, annotations: {} } };
    expect(setup([loner, mate]).gangs.podChanged(loner)).toEqual([]);
  });

  it('tries again on a later sighting when a delete failed', async () => {
    const victim = member('w-0', { node: 'n1', preempted: true });
    const mate = member('w-1', { node: 'n2' });
    let fail = true;
    const errors: string[] = [];
    const deleted: string[] = [];
    const gangs = new GangPreemption({
      members: { members: () => [victim, mate] },
      evictor: {
        evict: (pod) => {
          if (fail) return Promise.reject(new Error('HTTP 500'));
          deleted.push(pod.name);
          return Promise.resolve();
        },
      },
      active: () => true,
      onError: (pod) => errors.push(pod.name),
    });
    gangs.podChanged(victim);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['w-1']);
    fail = false;
    gangs.podChanged(victim);
    expect(deleted).toEqual(['w-1']);
  });
});
