import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { MAX_REASON_CHARS, PendingPods } from '../../../src/core/occupancy/pending-pods.js';

const SCHEDULER = 'phalanx-scheduler';

function pod(
  name: string,
  extra: {
    node?: string;
    group?: string;
    size?: number;
    gates?: string[];
    message?: string;
    phase?: string;
  } = {},
): PodShape {
  return {
    metadata: {
      namespace: 'ns',
      name,
      uid: `uid-${name}`,
      annotations: {
        ...(extra.group ? { 'phalanx.dev/pod-group': extra.group } : {}),
        ...(extra.size ? { 'phalanx.dev/group-size': String(extra.size) } : {}),
      },
    },
    spec: {
      schedulerName: SCHEDULER,
      ...(extra.node ? { nodeName: extra.node } : {}),
      ...(extra.gates ? { schedulingGates: extra.gates.map((g) => ({ name: g })) } : {}),
    },
    status: {
      phase: extra.phase ?? 'Pending',
      ...(extra.message
        ? { conditions: [{ type: 'PodScheduled', status: 'False', message: extra.message }] }
        : {}),
    },
  };
}

describe('PendingPods', () => {
  it("lists Phalanx's unbound pods with the scheduler's message or their gates", () => {
    const pending = new PendingPods(SCHEDULER);
    pending.podChanged(pod('a', { message: '0/4 nodes are available: 4 node(s) had no free 500m share.' }));
    pending.podChanged(pod('b', { gates: ['phalanx.dev/gang'] }));
    pending.podChanged(pod('c', { node: 'n1' }));
    pending.podChanged({ ...pod('d'), spec: { schedulerName: 'default-scheduler' } });
    pending.podChanged(pod('e', { phase: 'Failed' }));
    expect(pending.list()).toEqual([
      { kind: 'pod', key: 'ns/a', reason: '0/4 nodes are available: 4 node(s) had no free 500m share.' },
      { kind: 'pod', key: 'ns/b', reason: 'scheduling gated: phalanx.dev/gang' },
    ]);
  });

  it('folds gang members into one entry with the first member’s reason', () => {
    const pending = new PendingPods(SCHEDULER);
    pending.podChanged(pod('giant-1', { group: 'giant', size: 5, message: 'later' }));
    pending.podChanged(
      pod('giant-0', { group: 'giant', size: 5, message: 'no clique has 5 nodes with 8 free GPUs' }),
    );
    expect(pending.list()).toEqual([
      {
        kind: 'gang',
        key: 'ns/giant',
        reason: 'no clique has 5 nodes with 8 free GPUs',
        pendingMembers: 2,
        size: 5,
      },
    ]);
  });

  it('forgets pods once bound or deleted, and says when the list changed', () => {
    const pending = new PendingPods(SCHEDULER);
    expect(pending.podChanged(pod('a'))).toBe(true);
    expect(pending.podChanged(pod('a'))).toBe(false);
    expect(pending.podChanged(pod('a', { message: 'now a reason' }))).toBe(true);
    expect(pending.podChanged(pod('a', { node: 'n1' }))).toBe(true);
    expect(pending.size).toBe(0);
    pending.podChanged(pod('b'));
    expect(pending.podDeleted(pod('b'))).toBe(true);
    expect(pending.podDeleted(pod('b'))).toBe(false);
  });

  it('cuts long messages', () => {
    const pending = new PendingPods(SCHEDULER);
    pending.podChanged(pod('a', { message: 'x'.repeat(5000) }));
    expect(pending.list()[0]?.reason).toHaveLength(MAX_REASON_CHARS);
  });
});
