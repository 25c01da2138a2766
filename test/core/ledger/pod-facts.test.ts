// The one rule that turns bound pods into ledger holdings, for the informer and for restart recovery.
import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { applyFact, inRestartOrder, podFact, type PodFact } from '../../../src/core/ledger/pod-facts.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { whole } from '../../support/assignments.js';

function ledgerWith(gpus = 4): GpuLedger {
  const ledger = new GpuLedger();
  ledger.upsertNode(nodeInventory('n', gpus));
  return ledger;
}

function bound(annotations: Record<string, string>, limits: Record<string, string> = {}): PodShape {
  return {
    metadata: { name: 'p', namespace: 'ml', uid: 'u', annotations },
    spec: { nodeName: 'n', containers: [{ name: 'm', resources: { limits } }] },
    status: { phase: 'Running' },
  };
}

describe('podFact', () => {
  it.each([
    ['a Phalanx decision', bound({ 'phalanx.dev/gpu-devices': '1,2' }), 'annotated'],
    ['whole GPUs placed by another scheduler', bound({}, { 'nvidia.com/gpu': '2' }), 'external'],
    ['a share bound without a decision', bound({ 'phalanx.dev/gpu-fraction': '0.5' }), 'unreadable'],
    ['a pod without GPUs', bound({}), 'none'],
    [
      'a finished pod',
      { ...bound({ 'phalanx.dev/gpu-devices': '1' }), status: { phase: 'Succeeded' } },
      'none',
    ],
  ])('%s', (_name, pod, kind) => {
    expect(podFact(pod).fact.kind).toBe(kind);
  });

  it('counts a garbage decision as the whole GPUs the device plugin gave, and says so', () => {
    const outcome = podFact(bound({ 'phalanx.dev/gpu-devices': 'zz' }, { 'nvidia.com/gpu': '1' }));
    expect(outcome.fact).toEqual({ kind: 'external', node: 'n', count: 1 });
    expect(outcome.problem).toBeDefined();
  });
});

describe('applyFact', () => {
  it('commits a decision as written and refuses one that collides, naming why', () => {
    const ledger = ledgerWith();
    const decision: PodFact = { kind: 'annotated', node: 'n', raw: '0,1', assignment: whole('n', 0, 1) };
    expect(applyFact(ledger, 'a', decision)).toEqual({ ok: true });
    const clash = applyFact(ledger, 'b', { ...decision, raw: '1', assignment: whole('n', 1) });
    expect(clash.ok).toBe(false);
    expect(ledger.holding('b')).toBeUndefined();
  });

  it('gives a pod of another scheduler the lowest free whole devices, on a cordoned node too', () => {
    const ledger = new GpuLedger();
    ledger.upsertNode(nodeInventory('n', 4, { unschedulable: true }));
    ledger.commit('mine', whole('n', 0));
    const result = applyFact(ledger, 'theirs', { kind: 'external', node: 'n', count: 2 });
    expect(result).toEqual({ ok: true, picked: whole('n', 1, 2) });
  });

  it('refuses what cannot be counted, with the node and the reason', () => {
    const ledger = ledgerWith(2);
    expect(applyFact(ledger, 'x', { kind: 'external', node: 'n', count: 3 })).toEqual({
      ok: false,
      node: 'n',
      reason: 'uses 3 whole GPU(s) but node n has no such set free',
    });
    expect(applyFact(ledger, 'y', { kind: 'external', node: 'gone', count: 1 })).toMatchObject({
      ok: false,
      node: 'gone',
    });
    expect(applyFact(ledger, 'z', { kind: 'unreadable', node: 'n', reason: 'why' })).toEqual({
      ok: false,
      node: 'n',
      reason: 'why',
    });
  });
});

describe('inRestartOrder', () => {
  it('puts decisions first, keeping the order within each kind, so they keep the devices they name', () => {
    const e = (name: string, kind: 'annotated' | 'external') => ({
      name,
      fact:
        kind === 'annotated'
          ? ({ kind, node: 'n', raw: '0', assignment: whole('n', 0) } as const)
          : ({ kind, node: 'n', count: 1 } as const),
    });
    const order = inRestartOrder([
      e('x1', 'external'),
      e('a1', 'annotated'),
      e('x2', 'external'),
      e('a2', 'annotated'),
    ]);
    expect(order.map((o) => o.name)).toEqual(['a1', 'a2', 'x1', 'x2']);
  });
});
