import { describe, expect, it } from 'vitest';
import type { PlaceholderSpec } from '../../../src/core/autoscaling/placeholder-plan.js';
import {
  reconcileRequests,
  requestState,
  requestsFor,
  type ObservedRequest,
} from '../../../src/core/autoscaling/provisioning-requests.js';

const spec = (unit: string, i: number, gpus: number, kind: 'gang' | 'shares' = 'gang'): PlaceholderSpec => ({
  name: `phalanx-placeholder-${unit}-${i}`,
  unit,
  kind,
  gpus,
  cpuMilli: 0,
  memoryBytes: 0,
  constraints: {},
  colocateKey: 'clique',
  demand: `gang ${unit}`,
  specHash: `h${gpus}`,
  forPods: [`ns/${unit}-m${i}`],
});

describe('requestsFor', () => {
  it('makes one request per gang with a pod set per member shape, leaving shares out', () => {
    const [request, ...more] = requestsFor([
      spec('g', 0, 4),
      spec('g', 1, 4),
      spec('g', 2, 8),
      spec('s', 0, 1, 'shares'),
    ]);
    expect(more).toEqual([]);
    expect(request?.name).toBe('phalanx-request-g');
    expect(request?.podSets.map((s) => [s.template.gpus, s.count])).toEqual([
      [4, 2],
      [8, 1],
    ]);
    expect(new Set(request?.podSets.map((s) => s.templateName)).size).toBe(2);
    expect(request?.forPods).toEqual(['ns/g-m0', 'ns/g-m1', 'ns/g-m2']);
    const [other] = requestsFor([spec('g', 0, 4), spec('g', 1, 8), spec('g', 2, 8)]);
    expect(other?.specHash).not.toBe(request?.specHash);
  });
});

describe('requestState', () => {
  it('reads Provisioned, and Failed / BookingExpired / CapacityRevoked as needing a new request', () => {
    expect(requestState(undefined)).toBe('pending');
    expect(requestState([{ type: 'Accepted', status: 'True' }])).toBe('pending');
    expect(requestState([{ type: 'Provisioned', status: 'True' }])).toBe('provisioned');
    expect(requestState([{ type: 'Provisioned', status: 'False' }])).toBe('pending');
    for (const type of ['Failed', 'BookingExpired', 'CapacityRevoked'])
      expect(
        requestState([
          { type: 'Provisioned', status: 'True' },
          { type, status: 'True' },
        ]),
      ).toBe('failed');
  });
});

describe('reconcileRequests', () => {
  const [g] = requestsFor([spec('g', 0, 4), spec('g', 1, 4)]);
  const seen = (o: Partial<ObservedRequest> = {}): ObservedRequest => ({
    name: g!.name,
    uid: 'u',
    unit: 'g',
    specHash: g!.specHash,
    state: 'pending',
    deleting: false,
    ...o,
  });
  const base = {
    creating: new Set<string>(),
    retryAt: new Map<string, number>(),
    now: 1_000,
    retryMs: 60_000,
  };

  it('creates a missing request once and keeps a live one', () => {
    expect(reconcileRequests({ ...base, desired: [g!], observed: [] }).actions.map((a) => a.kind)).toEqual([
      'create',
    ]);
    expect(
      reconcileRequests({ ...base, desired: [g!], observed: [], creating: new Set([g!.name]) }).actions,
    ).toEqual([]);
    expect(
      reconcileRequests({ ...base, desired: [g!], observed: [seen({ state: 'provisioned' })] }).actions,
    ).toEqual([]);
  });

  it('deletes a request nobody waits for or whose gang changed', () => {
    const gone = reconcileRequests({ ...base, desired: [], observed: [seen()] });
    expect(gone.actions).toEqual([
      { kind: 'delete', name: g!.name, uid: 'u', unit: 'g', reason: 'no waiting gang for it' },
    ]);
    const changed = reconcileRequests({ ...base, desired: [g!], observed: [seen({ specHash: 'old' })] });
    expect(changed.actions.map((a) => a.kind)).toEqual(['delete']);
  });

  it('replaces a failed request only after retryMs', () => {
    const failed = reconcileRequests({ ...base, desired: [g!], observed: [seen({ state: 'failed' })] });
    expect(failed.actions.map((a) => a.kind)).toEqual(['delete']);
    expect(
      reconcileRequests({ ...base, desired: [g!], observed: [], retryAt: failed.retryAt, now: 30_000 })
        .actions,
    ).toEqual([]);
    expect(
      reconcileRequests({
        ...base,
        desired: [g!],
        observed: [],
        retryAt: failed.retryAt,
        now: 61_000,
      }).actions.map((a) => a.kind),
    ).toEqual(['create']);
  });
});
