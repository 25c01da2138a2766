// Tolerations against taints (upstream Toleration.ToleratesTaint), the TaintToleration filter's effects,
// cordoned nodes and node readiness.
import { describe, expect, it } from 'vitest';
import type { TaintShape, TolerationShape } from '../../../src/core/kube-shapes.js';
import {
  cordonedForPod,
  notReadyForPod,
  readinessTaintKey,
} from '../../../src/core/eligibility/node-conditions.js';
import {
  describeTaint,
  firstUntoleratedTaint,
  toleratesTaint,
} from '../../../src/core/eligibility/taints.js';
import { node, pod } from './fixtures.js';

const poolB: TaintShape = { key: 'pool', value: 'b', effect: 'NoSchedule' };

describe('toleratesTaint', () => {
  it.each<[string, TolerationShape, TaintShape, boolean]>([
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, poolB, true],
    [
      'empty key with Exists tolerates NoExecute too',
      { operator: 'Exists' },
      { ...poolB, effect: 'NoExecute' },
      true,
    ],
    ['key with Exists ignores the value', { key: 'pool', operator: 'Exists' }, poolB, true],
    ['key with Exists, other key', { key: 'team', operator: 'Exists' }, poolB, false],
    ['operator defaults to Equal (same value)', { key: 'pool', value: 'b' }, poolB, true],
    ['operator defaults to Equal (other value)', { key: 'pool', value: 'a' }, poolB, false],
    ['Equal without a value against a valued taint', { key: 'pool', operator: 'Equal' }, poolB, false],
    [
      'Equal without a value against a bare taint',
      { key: 'gpu' },
      { key: 'gpu', effect: 'NoSchedule' },
      true,
    ],
    [
      'empty effect matches every effect',
      { key: 'pool', value: 'b', effect: '' },
      { ...poolB, effect: 'NoExecute' },
      true,
    ],
    ['effect must match when given', { key: 'pool', value: 'b', effect: 'NoExecute' }, poolB, false],
    ['same effect', { key: 'pool', value: 'b', effect: 'NoSchedule' }, poolB, true],
    ['unknown operator tolerates nothing', { key: 'pool', operator: 'Gt', value: 'a' }, poolB, false],
  ])('%s', (_name, toleration, taint, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });
});

describe('firstUntoleratedTaint', () => {
  it.each<[string, TaintShape[], TolerationShape[], TaintShape | undefined]>([
    ['no taints', [], [], undefined],
    ['PreferNoSchedule does not filter', [{ key: 'soft', effect: 'PreferNoSchedule' }], [], undefined],
    ['NoSchedule filters', [poolB], [], poolB],
    ['NoExecute filters', [{ key: 'x', effect: 'NoExecute' }], [], { key: 'x', effect: 'NoExecute' }],
    ['tolerated taint passes', [poolB], [{ key: 'pool', value: 'b' }], undefined],
    [
      'reports the first untolerated one',
      [poolB, { key: 'team', value: 'x', effect: 'NoSchedule' }],
      [{ key: 'pool', operator: 'Exists' }],
      { key: 'team', value: 'x', effect: 'NoSchedule' },
    ],
    [
      'a NoExecute toleration does not cover NoSchedule',
      [poolB],
      [{ key: 'pool', effect: 'NoExecute', operator: 'Exists' }],
      poolB,
    ],
  ])('%s', (_name, taints, tolerations, expected) => {
    expect(firstUntoleratedTaint(pod({ tolerations }), node({ taints }))).toEqual(expected);
  });

  it('describes a taint as kube-scheduler does', () => {
    expect(describeTaint(poolB)).toBe('{pool: b}');
    expect(describeTaint({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' })).toBe(
      '{node-role.kubernetes.io/control-plane: }',
    );
  });
});

describe('cordoned nodes', () => {
  it.each<[string, boolean | undefined, TolerationShape[], boolean]>([
    ['schedulable node', false, [], false],
    ['unschedulable unset', undefined, [], false],
    ['cordoned, no toleration', true, [], true],
    [
      'cordoned, tolerated by key',
      true,
      [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }],
      false,
    ],
    ['cordoned, tolerated by empty key Exists', true, [{ operator: 'Exists' }], false],
    [
      'cordoned, NoExecute toleration does not help',
      true,
      [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }],
      true,
    ],
  ])('%s', (_name, unschedulable, tolerations, expected) => {
    const n = unschedulable === undefined ? node() : node({ unschedulable });
    expect(cordonedForPod(pod({ tolerations }), n)).toBe(expected);
  });
});

describe('node readiness', () => {
  const notReadyNoExecute: TolerationShape = {
    key: 'node.kubernetes.io/not-ready',
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: 300,
  };
  it.each<[string, 'True' | 'False' | 'Unknown' | undefined, TolerationShape[], boolean]>([
    ['Ready', 'True', [], false],
    ['no Ready condition', undefined, [], false],
    ['Ready False', 'False', [], true],
    ['Ready Unknown', 'Unknown', [], true],
    [
      'Ready False, not-ready tolerated',
      'False',
      [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
      false,
    ],
    ['Ready False, only the default NoExecute toleration', 'False', [notReadyNoExecute], true],
    [
      'Ready Unknown, unreachable tolerated',
      'Unknown',
      [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }],
      false,
    ],
    [
      'Ready Unknown, only not-ready tolerated',
      'Unknown',
      [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
      true,
    ],
    ['Ready False, tolerates everything', 'False', [{ operator: 'Exists' }], false],
  ])('%s', (_name, ready, tolerations, expected) => {
    const n = ready === undefined ? node() : node({ ready });
    expect(notReadyForPod(pod({ tolerations }), n)).toBe(expected);
  });

  it('reads only the Ready condition', () => {
    const pressure = node({ conditions: [{ type: 'MemoryPressure', status: 'True' }] });
    expect(readinessTaintKey(pressure)).toBeUndefined();
    const both = node({
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'False' },
      ],
    });
    expect(readinessTaintKey(both)).toBe('node.kubernetes.io/not-ready');
  });
});
