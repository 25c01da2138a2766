import { describe, expect, it } from 'vitest';
import { budgetRefusal } from '../../../src/core/preemption/disruption-budgets.js';
import {
  createdAtMs,
  kueueManaged,
  preemptorRefusal,
  victimProtection,
} from '../../../src/core/preemption/victim-policy.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';

const policy = { schedulerName: 'phalanx', allowOtherSchedulers: false };
const pod = (o: {
  labels?: Record<string, string>;
  scheduler?: string;
  gates?: string[];
  never?: boolean;
}): PodShape => ({
  metadata: { namespace: 'ml', labels: o.labels ?? {} },
  spec: {
    schedulerName: o.scheduler ?? 'phalanx',
    schedulingGates: (o.gates ?? []).map((name) => ({ name })),
    ...(o.never ? { preemptionPolicy: 'Never' } : {}),
  },
});

describe('victim policy', () => {
  it('recognises pods whose admission Kueue manages', () => {
    expect(kueueManaged(pod({ labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } }))).toBe(true);
    expect(kueueManaged(pod({ labels: { 'kueue.x-k8s.io/managed': 'true' } }))).toBe(true);
    expect(kueueManaged(pod({ gates: ['kueue.x-k8s.io/admission'] }))).toBe(true);
    expect(kueueManaged(pod({ labels: { app: 'x' } }))).toBe(false);
  });

  it('protects Kueue pods and other schedulers’ pods unless allowed', () => {
    expect(victimProtection(pod({ labels: { 'kueue.x-k8s.io/queue-name': 'q' } }), policy)).toMatch(/Kueue/);
    expect(victimProtection(pod({ scheduler: 'default-scheduler' }), policy)).toMatch(/another scheduler/);
    expect(
      victimProtection(pod({ scheduler: 'default-scheduler' }), { ...policy, allowOtherSchedulers: true }),
    ).toBe(undefined);
    expect(victimProtection(pod({}), policy)).toBeUndefined();
  });

  it('refuses preemptors with preemptionPolicy Never or managed by Kueue', () => {
    expect(preemptorRefusal(pod({ never: true }))).toMatch(/Never/);
    expect(preemptorRefusal(pod({ labels: { 'kueue.x-k8s.io/queue-name': 'q' } }))).toMatch(/Kueue/);
    expect(preemptorRefusal(pod({}))).toBeUndefined();
  });

  it('reads creation times as strings or dates', () => {
    expect(createdAtMs({ metadata: { creationTimestamp: '2026-12-01T00:00:00Z' } })).toBe(
      Date.parse('2026-12-01T00:00:00Z'),
    );
    expect(createdAtMs({ metadata: { creationTimestamp: new Date(5) } })).toBe(5);
    expect(createdAtMs({ metadata: { creationTimestamp: 'garbage' } })).toBeUndefined();
  });
});

describe('budgetRefusal', () => {
  const victim = (app: string, namespace = 'ml'): PodShape => ({ metadata: { namespace, labels: { app } } });
  const budget = {
    namespace: 'ml',
    name: 'db',
    selector: { matchLabels: { app: 'db' } },
    disruptionsAllowed: 1,
  };

  it('allows as many matching victims as the budget allows, counting only its namespace', () => {
    expect(budgetRefusal([victim('db'), victim('web')], [budget])).toBeUndefined();
    expect(budgetRefusal([victim('db'), victim('db', 'other')], [budget])).toBeUndefined();
    expect(budgetRefusal([victim('db'), victim('db')], [budget])).toMatch(
      /ml\/db allows 1 disruption\(s\), the victims would be 2/,
    );
  });

  it('an empty selector covers the namespace; an absent one covers nothing', () => {
    expect(budgetRefusal([victim('x')], [{ ...budget, selector: {}, disruptionsAllowed: 0 }])).toBeDefined();
    expect(
      budgetRefusal([victim('x')], [{ namespace: 'ml', name: 'none', disruptionsAllowed: 0 }]),
    ).toBeUndefined();
  });
});
