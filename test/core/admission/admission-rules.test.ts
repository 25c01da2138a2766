import { describe, expect, it } from 'vitest';
import { DemandError } from '../../../src/core/errors.js';
import {
  changedDecisionAnnotations,
  copyAliases,
  countableShareMilli,
  forgedDecisionAnnotations,
  inconsistentGroupSize,
  parseGroupSize,
  reasonFromFieldError,
} from '../../../src/core/admission/admission-rules.js';

const GiB = 1024 ** 3;

describe('decision annotations', () => {
  it('refuses each decision annotation present on CREATE, naming it', () => {
    const reasons = forgedDecisionAnnotations({
      'phalanx.dev/gpu-devices': '0,1',
      'phalanx.dev/placement-level': 'node',
      'phalanx.dev/gpu-fraction': '0.5',
    });
    expect(reasons.map((r) => [r.field, r.rule])).toEqual([
      ['metadata.annotations[phalanx.dev/gpu-devices]', 'forbidden'],
      ['metadata.annotations[phalanx.dev/placement-level]', 'forbidden'],
    ]);
    expect(reasons[0]?.message).toBe(
      'annotation phalanx.dev/gpu-devices: written only by the Phalanx extender when it binds the pod; remove it',
    );
  });

  it('allows a pod without decision annotations', () => {
    expect(forgedDecisionAnnotations({ 'phalanx.dev/gpu-fraction': '0.5' })).toEqual([]);
  });

  it.each([
    ['added', {}, { 'phalanx.dev/gpu-devices': '1' }, ['metadata.annotations[phalanx.dev/gpu-devices]']],
    [
      'changed',
      { 'phalanx.dev/gpu-devices': '1' },
      { 'phalanx.dev/gpu-devices': '2' },
      ['metadata.annotations[phalanx.dev/gpu-devices]'],
    ],
    [
      'removed',
      { 'phalanx.dev/placement-level': 'node' },
      {},
      ['metadata.annotations[phalanx.dev/placement-level]'],
    ],
    ['unchanged', { 'phalanx.dev/gpu-devices': '1' }, { 'phalanx.dev/gpu-devices': '1', x: 'y' }, []],
  ])('UPDATE: %s', (_name, before, after, fields) => {
    expect(changedDecisionAnnotations(before, after).map((r) => r.field)).toEqual(fields);
  });
});

describe('parseGroupSize', () => {
  it.each([
    ['4', 4],
    [' 12 ', 12],
  ])('%j → %d', (value, size) => {
    expect(parseGroupSize(value, 'annotation x')).toBe(size);
  });

  it.each([
    ['0', 'out-of-range'],
    ['-1', 'not-an-integer'],
    ['2.5', 'not-an-integer'],
    ['four', 'not-an-integer'],
    ['', 'not-an-integer'],
  ])('%j is refused (%s), naming the field', (value, rule) => {
    expect(parseGroupSize(value, 'annotation leaderworkerset.sigs.k8s.io/size')).toEqual({
      field: 'annotation leaderworkerset.sigs.k8s.io/size',
      rule,
      message: `annotation leaderworkerset.sigs.k8s.io/size: ${JSON.stringify(value)} must be a whole number ≥ 1 (the gang size)`,
    });
  });
});

describe('inconsistentGroupSize', () => {
  it('is silent for the first member or an agreeing one', () => {
    expect(inconsistentGroupSize('ml/g', 4, undefined)).toBeUndefined();
    expect(inconsistentGroupSize('ml/g', 4, 4)).toBeUndefined();
  });
  it('names both sizes when members disagree', () => {
    expect(inconsistentGroupSize('ml/g', 3, 4)).toEqual({
      field: 'annotation phalanx.dev/group-size',
      rule: 'inconsistent',
      message:
        'annotation phalanx.dev/group-size: 3 disagrees with the other members of gang ml/g, which have size 4',
    });
  });
});

describe('copyAliases', () => {
  it('copies every alias to its canonical name, keeps the alias, warns once per alias', () => {
    const result = copyAliases({
      'gpu-fraction': '0.25',
      'gpu-memory': '4096',
      'kai.scheduler/topology-required-placement': 'topology.kubernetes.io/zone',
      'kai.scheduler/topology-preferred-placement': 'nvidia.com/gpu.clique',
      'gpu-fraction-num-devices': '1',
    });
    expect(result.annotations).toEqual({
      'phalanx.dev/gpu-fraction': '0.25',
      'phalanx.dev/gpu-memory': '4096',
      'phalanx.dev/topology-required': 'topology.kubernetes.io/zone',
      'phalanx.dev/topology-preferred': 'nvidia.com/gpu.clique',
    });
    expect(result.warnings).toEqual([
      'annotation gpu-fraction is deprecated; use phalanx.dev/gpu-fraction',
      'annotation gpu-memory is deprecated; use phalanx.dev/gpu-memory',
      'annotation kai.scheduler/topology-required-placement is deprecated; use phalanx.dev/topology-required',
      'annotation kai.scheduler/topology-preferred-placement is deprecated; use phalanx.dev/topology-preferred',
      'annotation gpu-fraction-num-devices is deprecated; a fraction is one GPU',
    ]);
    for (const warning of result.warnings) expect(warning.length).toBeLessThanOrEqual(120);
  });

  it('never overwrites a canonical annotation the user wrote', () => {
    const result = copyAliases({ 'gpu-fraction': '0.5', 'phalanx.dev/gpu-fraction': '0.50' });
    expect(result.annotations).toEqual({});
    expect(result.warnings).toHaveLength(1);
  });

  it('does nothing without aliases', () => {
    expect(copyAliases({ 'phalanx.dev/gpu-fraction': '0.5' })).toEqual({ annotations: {}, warnings: [] });
  });
});

describe('countableShareMilli', () => {
  it.each([
    ['fraction', { kind: 'fraction', milli: 250 } as const, undefined, 250],
    ['fraction with memory', { kind: 'fraction', milli: 500, memoryBytes: 10 * GiB } as const, 80 * GiB, 500],
    [
      'memory: a quarter of the largest device',
      { kind: 'memory', memoryBytes: 20 * GiB } as const,
      80 * GiB,
      250,
    ],
    ['memory: rounds up', { kind: 'memory', memoryBytes: 10 * GiB + 1 } as const, 80 * GiB, 126],
    ['memory: all of it still shares', { kind: 'memory', memoryBytes: 80 * GiB } as const, 80 * GiB, 999],
    ['memory: tiny is at least 1', { kind: 'memory', memoryBytes: 1 } as const, 80 * GiB, 1],
    ['memory: largest device unknown', { kind: 'memory', memoryBytes: GiB } as const, undefined, undefined],
    ['whole devices', { kind: 'whole', count: 2 } as const, 80 * GiB, undefined],
    ['none', { kind: 'none' } as const, 80 * GiB, undefined],
  ])('%s', (_name, gpu, max, expected) => {
    expect(countableShareMilli(gpu, max)).toBe(expected);
  });
});

describe('reasonFromFieldError', () => {
  it('keeps field, rule and message', () => {
    const error = new DemandError('phalanx.dev/gpu-fraction', 'out-of-range', 'annotation x: bad');
    expect(reasonFromFieldError(error)).toEqual({
      field: 'phalanx.dev/gpu-fraction',
      rule: 'out-of-range',
      message: 'annotation x: bad',
    });
  });
});
