import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { isManaged, parsePodDemand, requestedGpuMilli } from '../../src/core/pod-demand.js';
import type { DemandOptions } from '../../src/core/pod-demand.js';
import { container, demandError, gpus, pod, type Resources } from '../support/pod-specs.js';

describe('whole GPUs from nvidia.com/gpu', () => {
  it.each<[string, PodShape, number]>([
    ['one container', pod({ containers: [container('main', gpus('2'))] }), 2],
    ['numeric quantity', pod({ containers: [container('main', gpus(4))] }), 4],
    ['containers are summed', pod({ containers: [container('a', gpus('2')), container('b', gpus('1'))] }), 3],
    ['request without limit counts', pod({ containers: [container('a', undefined, gpus('1'))] }), 1],
    ['limit equal to request', pod({ containers: [container('a', gpus('2'), gpus('2'))] }), 2],
    [
      'a GPU-less log sidecar adds nothing',
      pod({ containers: [container('main', gpus('1')), container('fluent-bit', { cpu: '100m' })] }),
      1,
    ],
    [
      'init container peak wins when larger than the app containers',
      pod({
        initContainers: [container('warmup', gpus('4'))],
        containers: [container('a', gpus('1')), container('b', gpus('1'))],
      }),
      4,
    ],
    [
      'app containers win when larger than any init container',
      pod({ initContainers: [container('check', gpus('1'))], containers: [container('a', gpus('2'))] }),
      2,
    ],
    [
      'a native sidecar adds to later init containers and to the app containers',
      pod({
        initContainers: [container('proxy', gpus('1'), undefined, 'Always'), container('warmup', gpus('2'))],
        containers: [container('a', gpus('1'))],
      }),
      3,
    ],
    [
      'a native sidecar is summed with the app containers',
      pod({
        initContainers: [container('proxy', gpus('1'), undefined, 'Always')],
        containers: [container('a', gpus('2'))],
      }),
      3,
    ],
  ])('%s', (_name, p, count) => {
    expect(parsePodDemand(p).gpu).toEqual({ kind: 'whole', count });
  });

  it.each<[string, PodShape, string, string]>([
    [
      'a fractional count',
      pod({ containers: [container('main', gpus('1.5'))] }),
      'spec.containers[0].resources.limits[nvidia.com/gpu]',
      'not-an-integer',
    ],
    [
      'a negative count in an init container',
      pod({ initContainers: [container('x', gpus('-1'))] }),
      'spec.initContainers[0].resources.limits[nvidia.com/gpu]',
      'negative',
    ],
    [
      'limit and request that differ',
      pod({ containers: [container('main'), container('b', gpus('2'), gpus('1'))] }),
      'spec.containers[1].resources.limits[nvidia.com/gpu]',
      'conflict',
    ],
  ])('rejects %s, naming the container field', (_name, p, field, rule) => {
    const error = demandError(p);
    expect([error.field, error.rule]).toEqual([field, rule]);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('fractions and memory', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['no GPU request', {}, { kind: 'none' }],
    ['canonical fraction', { 'phalanx.dev/gpu-fraction': '0.5' }, { kind: 'fraction', milli: 500 }],
    ['alias fraction', { 'gpu-fraction': '0.25' }, { kind: 'fraction', milli: 250 }],
    [
      'canonical and alias meaning the same',
      { 'phalanx.dev/gpu-fraction': '0.5', 'gpu-fraction': '.5' },
      { kind: 'fraction', milli: 500 },
    ],
    [
      'canonical memory quantity',
      { 'phalanx.dev/gpu-memory': '20Gi' },
      { kind: 'memory', memoryBytes: 21474836480 },
    ],
    [
      'canonical memory as bare MiB',
      { 'phalanx.dev/gpu-memory': '20000' },
      { kind: 'memory', memoryBytes: 20971520000 },
    ],
    ['alias memory in MiB', { 'gpu-memory': '1024' }, { kind: 'memory', memoryBytes: 1073741824 }],
    [
      'fraction with memory',
      { 'phalanx.dev/gpu-fraction': '0.3', 'phalanx.dev/gpu-memory': '24Gi' },
      { kind: 'fraction', milli: 300, memoryBytes: 25769803776 },
    ],
    [
      'fraction-num-devices of 1 is accepted',
      { 'gpu-fraction': '0.5', 'gpu-fraction-num-devices': '1' },
      { kind: 'fraction', milli: 500 },
    ],
  ])('%s', (_name, annotations, gpu) => {
    expect(parsePodDemand(pod({ annotations })).gpu).toEqual(gpu);
  });

  it('accepts memory equal to the largest device', () => {
    const p = pod({ annotations: { 'phalanx.dev/gpu-memory': '80Gi' } });
    expect(parsePodDemand(p, { maxDeviceMemoryBytes: 85899345920 }).gpu).toEqual({
      kind: 'memory',
      memoryBytes: 85899345920,
    });
  });

  it.each<[string, PodShape, DemandOptions, string, string]>([
    [
      'fraction above 1',
      pod({ annotations: { 'phalanx.dev/gpu-fraction': '1.5' } }),
      {},
      'phalanx.dev/gpu-fraction',
      'out-of-range',
    ],
    ['fraction of 0', pod({ annotations: { 'gpu-fraction': '0' } }), {}, 'gpu-fraction', 'out-of-range'],
    ['fraction of 1', pod({ annotations: { 'gpu-fraction': '1' } }), {}, 'gpu-fraction', 'out-of-range'],
    [
      'fraction that is text',
      pod({ annotations: { 'gpu-fraction': 'half' } }),
      {},
      'gpu-fraction',
      'not-a-number',
    ],
    [
      'canonical and alias fractions that disagree',
      pod({ annotations: { 'phalanx.dev/gpu-fraction': '0.5', 'gpu-fraction': '0.25' } }),
      {},
      'phalanx.dev/gpu-fraction',
      'conflict',
    ],
    [
      'fraction together with whole GPUs',
      pod({ annotations: { 'phalanx.dev/gpu-fraction': '0.5' }, containers: [container('m', gpus('1'))] }),
      {},
      'phalanx.dev/gpu-fraction',
      'conflict',
    ],
    [
      'memory together with whole GPUs',
      pod({ annotations: { 'gpu-memory': '4096' }, containers: [container('m', gpus('2'))] }),
      {},
      'gpu-memory',
      'conflict',
    ],
    [
      'memory larger than any device',
      pod({ annotations: { 'phalanx.dev/gpu-memory': '100Gi' } }),
      { maxDeviceMemoryBytes: 85899345920 },
      'phalanx.dev/gpu-memory',
      'too-large',
    ],
    [
      'memory of zero',
      pod({ annotations: { 'phalanx.dev/gpu-memory': '0' } }),
      {},
      'phalanx.dev/gpu-memory',
      'out-of-range',
    ],
    ['negative memory', pod({ annotations: { 'gpu-memory': '-1Gi' } }), {}, 'gpu-memory', 'negative'],
    ['memory that is text', pod({ annotations: { 'gpu-memory': 'lots' } }), {}, 'gpu-memory', 'not-a-number'],
    [
      'more than one device per fraction',
      pod({ annotations: { 'gpu-fraction': '0.5', 'gpu-fraction-num-devices': '2' } }),
      {},
      'gpu-fraction-num-devices',
      'unsupported',
    ],
    [
      'a device count that is not a number',
      pod({ annotations: { 'gpu-fraction-num-devices': 'x' } }),
      {},
      'gpu-fraction-num-devices',
      'not-a-number',
    ],
  ])('rejects %s', (_name, p, opts, field, rule) => {
    const error = demandError(p, opts);
    expect([error.field, error.rule]).toEqual([field, rule]);
    expect(error.message.startsWith(`annotation ${field}: `)).toBe(true);
  });

  it('explains the rule in words', () => {
    expect(demandError(pod({ annotations: { 'phalanx.dev/gpu-fraction': '1.5' } })).message).toBe(
      'annotation phalanx.dev/gpu-fraction: "1.5" must be a number in (0, 1)',
    );
    expect(
      demandError(pod({ annotations: { 'gpu-fraction': '0.5' }, containers: [container('m', gpus('2'))] }))
        .message,
    ).toBe(
      'annotation gpu-fraction: asks for part of one GPU, but the pod also requests 2 whole nvidia.com/gpu; ask for one or the other',
    );
    expect(
      demandError(pod({ annotations: { 'phalanx.dev/gpu-memory': '100Gi' } }), {
        maxDeviceMemoryBytes: 85899345920,
      }).message,
    ).toBe('annotation phalanx.dev/gpu-memory: 100Gi is more than the largest GPU in the cluster (80Gi)');
  });
});

describe('phalanx.dev/gpu-milli extended resource', () => {
  const milli = (n: string | number): Resources => ({ 'phalanx.dev/gpu-milli': n });

  it.each<[string, PodShape, unknown]>([
    [
      'alone it is the share',
      pod({ containers: [container('m', milli('250'))] }),
      { kind: 'fraction', milli: 250 },
    ],
    [
      'agreeing with the fraction annotation',
      pod({ annotations: { 'phalanx.dev/gpu-fraction': '0.25' }, containers: [container('m', milli(250))] }),
      { kind: 'fraction', milli: 250 },
    ],
    [
      'with a memory annotation',
      pod({ annotations: { 'phalanx.dev/gpu-memory': '10Gi' }, containers: [container('m', milli('400'))] }),
      { kind: 'fraction', milli: 400, memoryBytes: 10737418240 },
    ],
  ])('%s', (_name, p, gpu) => {
    expect(parsePodDemand(p).gpu).toEqual(gpu);
  });

  it.each<[string, PodShape, string]>([
    [
      'disagreeing with the fraction annotation',
      pod({ annotations: { 'phalanx.dev/gpu-fraction': '0.5' }, containers: [container('m', milli('250'))] }),
      'conflict',
    ],
    ['a whole device or more', pod({ containers: [container('m', milli('1000'))] }), 'out-of-range'],
    [
      'together with whole GPUs',
      pod({ containers: [container('m', { ...milli('500'), ...gpus('1') })] }),
      'conflict',
    ],
  ])('rejects %s', (_name, p, rule) => {
    const error = demandError(p);
    expect([error.field, error.rule]).toEqual(['phalanx.dev/gpu-milli', rule]);
  });

  it('requestedGpuMilli sums containers and is undefined without the resource', () => {
    expect(
      requestedGpuMilli(pod({ containers: [container('a', milli('200')), container('b', milli('300'))] })),
    ).toBe(500);
    expect(requestedGpuMilli(pod({}))).toBeUndefined();
  });
});

describe('isManaged', () => {
  it.each<[string, PodShape, boolean]>([
    ['a plain pod', pod({}), false],
    ['a whole-GPU pod', pod({ containers: [container('m', gpus('1'))] }), true],
    ['a fractional pod', pod({ annotations: { 'gpu-fraction': '0.5' } }), true],
    ['a memory-only pod', pod({ annotations: { 'gpu-memory': '2048' } }), true],
  ])('%s → %s', (_name, p, managed) => {
    expect(isManaged(parsePodDemand(p))).toBe(managed);
  });
});
