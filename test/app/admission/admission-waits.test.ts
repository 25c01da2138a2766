import { describe, expect, it } from 'vitest';
import { AdmissionWaits, heldByKueue, refusalReason } from '../../../src/app/admission/admission-waits.js';
import type { OwnerRef } from '../../../src/app/admission/ports.js';
import type { PodRef } from '../../../src/app/ports.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';

const JOB = { kind: 'Job', name: 'train', uid: 'job-uid', controller: true };
const REFUSAL =
  'Error creating: pods "train-2-x7k2p" is forbidden: exceeded quota: gpus, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2';

const SCHEDULER = 'phalanx-scheduler';

function member(
  name: string,
  o: { gated?: boolean; size?: number; gpus?: string; schedulerName?: string } = {},
): PodShape {
  return {
    metadata: {
      name,
      namespace: 'ml',
      uid: `uid-${name}`,
      annotations: { 'phalanx.dev/pod-group': 'train', 'phalanx.dev/group-size': String(o.size ?? 3) },
      ownerReferences: [JOB],
    },
    spec: {
      schedulerName: o.schedulerName ?? SCHEDULER,
      containers: [{ name: 'main', resources: { requests: { 'nvidia.com/gpu': o.gpus ?? '1' } } }],
      ...(o.gated ? { schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }] } : {}),
    },
    status: { phase: 'Pending' },
  };
}

function setup(pods: PodShape[], o: { refusal?: string } = { refusal: REFUSAL }) {
  const { refusal } = o;
  let now = 0;
  const events: { pod: PodRef; type: string; reason: string; message: string }[] = [];
  const reads: OwnerRef[] = [];
  let active = true;
  const waits = new AdmissionWaits({
    members: { members: () => pods },
    refusals: {
      latest: (owner) => {
        reads.push(owner);
        return Promise.resolve(refusal);
      },
    },
    events: { podEvent: (pod, type, reason, message) => events.push({ pod, type, reason, message }) },
    clock: { now: () => now },
    levels: DEFAULT_TOPOLOGY_LEVELS,
    schedulerName: SCHEDULER,
    active: () => active,
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    waits,
    events,
    reads,
    settle,
    advance: (ms: number) => (now += ms),
    deactivate: () => (active = false),
  };
}

describe('refusalReason', () => {
  it('keeps the quota part, without the generated pod name', () => {
    expect(refusalReason(REFUSAL)).toBe(
      'exceeded quota: gpus, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2',
    );
    expect(refusalReason(' pods "x" is forbidden: no ServiceAccount ')).toBe(
      'pods "x" is forbidden: no ServiceAccount',
    );
  });
});

describe('AdmissionWaits', () => {
  it('tells a GPU pod held by Kueue’s admission gate that it waits for admission, once', () => {
    const pod = member('w-0', { gated: true, size: 1 });
    const { waits, events } = setup([pod]);
    expect(heldByKueue(pod)).toBe(true);
    waits.podChanged(pod);
    waits.podChanged(pod);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Normal', reason: 'WaitingForAdmission', pod: { name: 'w-0' } });
    expect(events[0]?.message).toContain("Kueue's kueue.x-k8s.io/admission scheduling gate");
  });

  it('says nothing of gated pods without a GPU request', () => {
    const cpu = {
      ...member('c', { gated: true, size: 1 }),
      spec: {
        schedulerName: SCHEDULER,
        containers: [{ name: 'main' }],
        schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }],
      },
    };
    const { waits, events } = setup([cpu]);
    waits.podChanged(cpu);
    expect(events).toEqual([]);
  });

  it('says nothing of pods another scheduler places, gated or in an incomplete gang', async () => {
    const gated = member('s-0', { gated: true, size: 1, schedulerName: 'default-scheduler' });
    const gang = [member('o-0', { schedulerName: 'default-scheduler' })];
    const { waits, events, reads, settle, advance } = setup([...gang, gated]);
    waits.podChanged(gated);
    waits.podChanged(gang[0] as PodShape);
    advance(60_000);
    waits.sweep();
    await settle();
    expect(events).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('explains an incomplete gang by its owner’s refused creations, after a grace period', async () => {
    const pods = [member('train-0'), member('train-1')];
    const { waits, events, reads, settle, advance } = setup(pods);
    waits.podChanged(pods[0] as PodShape);
    await settle();
    expect(reads).toEqual([]);
    advance(2_000);
    waits.sweep();
    await settle();
    expect(reads).toEqual([{ namespace: 'ml', kind: 'Job', name: 'train', uid: 'job-uid' }]);
    expect(events.map((e) => [e.pod.name, e.type, e.reason])).toEqual([
      ['train-0', 'Warning', 'WaitingForQuota'],
      ['train-1', 'Warning', 'WaitingForQuota'],
    ]);
    expect(events[0]?.message).toBe(
      'gang train has 2 of 3 members: Job train could not create the others (exceeded quota: gpus, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2); it waits for quota, not for GPUs',
    );
    // Read again only after the refresh interval.
    waits.sweep();
    await settle();
    expect(reads).toHaveLength(1);
    advance(10_000);
    waits.sweep();
    await settle();
    expect(reads).toHaveLength(2);
  });

  it('is silent for complete gangs, for gangs whose owner recorded no refusal, and when not serving', async () => {
    const complete = [member('a', { size: 2 }), member('b', { size: 2 })];
    const one = setup(complete);
    one.advance(5_000);
    one.waits.podChanged(complete[0] as PodShape);
    one.waits.sweep();
    await one.settle();
    expect(one.reads).toEqual([]);

    const partial = [member('a')];
    const two = setup(partial, {});
    two.waits.podChanged(partial[0] as PodShape);
    two.advance(2_000);
    two.waits.sweep();
    await two.settle();
    expect(two.reads).toHaveLength(1);
    expect(two.events).toEqual([]);

    const three = setup(partial);
    three.deactivate();
    three.waits.podChanged(partial[0] as PodShape);
    three.advance(2_000);
    three.waits.sweep();
    await three.settle();
    expect(three.reads).toEqual([]);
  });
});
