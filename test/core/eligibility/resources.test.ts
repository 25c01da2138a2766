// Pod requests as kube-scheduler's NodeResourcesFit computes them, and the fit check.
// Units: cpu in milli-cores, everything else in Quantity.Value() (bytes, whole units).
import { describe, expect, it } from 'vitest';
import { DemandError } from '../../../src/core/errors.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import {
  addRequests,
  insufficientResources,
  nodeAllocatable,
  podRequests,
  sumRequests,
  type ResourceAmounts,
} from '../../../src/core/eligibility/resources.js';
import { container, GI, MI, node, pod } from './fixtures.js';

describe('podRequests', () => {
  it.each<[string, PodShape, ResourceAmounts]>([
    [
      'one container',
      pod({ containers: [container({ cpu: '500m', memory: '1Gi' })] }),
      { cpu: 500, memory: GI },
    ],
    [
      'app containers are summed',
      pod({
        containers: [container({ cpu: '1', memory: '1Gi' }), container({ cpu: '250m', memory: '512Mi' })],
      }),
      { cpu: 1250, memory: GI + 512 * MI },
    ],
    [
      'init containers count by their peak',
      pod({
        containers: [container({ cpu: '1', memory: '1Gi' })],
        initContainers: [container({ cpu: '3' }), container({ cpu: '2', memory: '4Gi' })],
      }),
      { cpu: 3000, memory: 4 * GI },
    ],
    [
      'a sidecar adds to the app containers',
      pod({
        containers: [container({ cpu: '2' })],
        initContainers: [container({ cpu: '1' }, undefined, 'Always')],
      }),
      { cpu: 3000 },
    ],
    [
      'an init container after a sidecar runs beside it',
      pod({
        containers: [container({ cpu: '1' })],
        initContainers: [container({ cpu: '1' }, undefined, 'Always'), container({ cpu: '2500m' })],
      }),
      { cpu: 3500 },
    ],
    [
      'overhead is added',
      pod({
        containers: [container({ cpu: '1', memory: '1Gi' })],
        overhead: { cpu: '250m', memory: '120Mi' },
      }),
      { cpu: 1250, memory: GI + 120 * MI },
    ],
    ['overhead alone', pod({ containers: [], overhead: { cpu: '100m' } }), { cpu: 100 }],
    [
      'a limit stands in for a missing request',
      pod({ containers: [container(undefined, { cpu: '2' })] }),
      { cpu: 2000 },
    ],
    [
      'a request wins over its limit',
      pod({ containers: [container({ cpu: '1' }, { cpu: '2', memory: '3Gi' })] }),
      { cpu: 1000, memory: 3 * GI },
    ],
    [
      'extended resources, by request or by limit',
      pod({
        containers: [container({ 'example.com/foo': '3' }), container(undefined, { 'nvidia.com/gpu': 2 })],
      }),
      { 'example.com/foo': 3, 'nvidia.com/gpu': 2 },
    ],
    [
      'hugepages and ephemeral storage in bytes',
      pod({ containers: [container({ 'hugepages-2Mi': '4Mi', 'ephemeral-storage': '1G' })] }),
      { 'ephemeral-storage': 1_000_000_000, 'hugepages-2Mi': 4 * MI },
    ],
    [
      'a fraction of a unit rounds up',
      pod({ containers: [container({ 'example.com/foo': '500m' })] }),
      { 'example.com/foo': 1 },
    ],
    ['a zero request is kept as 0', pod({ containers: [container({ cpu: '0' })] }), { cpu: 0 }],
    ['no containers', pod({ containers: [] }), {}],
  ])('%s', (_name, p, expected) => {
    expect(podRequests(p)).toEqual(expected);
  });

  it.each<[string, PodShape, string]>([
    [
      'container request',
      pod({ containers: [container({ cpu: 'lots' })] }),
      'spec.containers[0].resources.requests[cpu]',
    ],
    [
      'limit used as request',
      pod({ containers: [container(undefined, { memory: '-1Gi' })] }),
      'spec.containers[0].resources.limits[memory]',
    ],
    ['overhead', pod({ overhead: { memory: 'x' } }), 'spec.overhead[memory]'],
  ])('a malformed %s is a DemandError naming its field', (_name, p, field) => {
    expect(() => podRequests(p)).toThrow(DemandError);
    expect(() => podRequests(p)).toThrow(expect.objectContaining({ field }));
  });
});

describe('summing requests', () => {
  it('addRequests adds per resource, keeping resources only one side has', () => {
    expect(addRequests({ cpu: 1000, memory: 5 }, { cpu: 250, 'nvidia.com/gpu': 2 })).toEqual({
      cpu: 1250,
      memory: 5,
      'nvidia.com/gpu': 2,
    });
    expect(addRequests({}, {})).toEqual({});
  });

  it('sumRequests adds the pods on a node', () => {
    const pods = [
      pod({ containers: [container({ cpu: '1', memory: '1Gi' })] }),
      pod({ containers: [container({ cpu: '500m' }, { 'nvidia.com/gpu': '1' })] }),
    ];
    expect(sumRequests(pods)).toEqual({ cpu: 1500, memory: GI, 'nvidia.com/gpu': 1 });
    expect(sumRequests([])).toEqual({});
  });
});

describe('nodeAllocatable', () => {
  it('parses allocatable in the same units', () => {
    const n = node({ allocatable: { cpu: '3800m', memory: '16Gi', pods: '110', 'nvidia.com/gpu': 8 } });
    expect(nodeAllocatable(n)).toEqual({ cpu: 3800, memory: 16 * GI, pods: 110, 'nvidia.com/gpu': 8 });
  });
});

describe('insufficientResources', () => {
  const allocatable = { cpu: 4000, memory: 8 * GI, 'nvidia.com/gpu': 8, pods: 110 };
  it.each<[string, ResourceAmounts, ResourceAmounts, string[], string[]]>([
    ['fits exactly', { cpu: 1000 }, { cpu: 3000 }, [], []],
    ['one milli-core short', { cpu: 1000 }, { cpu: 3001 }, [], ['cpu']],
    ['memory short', { memory: GI }, { memory: 7 * GI + 1 }, [], ['memory']],
    ['a resource the node lacks', { 'example.com/foo': 1 }, {}, [], ['example.com/foo']],
    ['a zero request of a resource the node lacks', { 'example.com/foo': 0 }, {}, [], []],
    ['a zero request on an overcommitted node', { cpu: 0 }, { cpu: 9000 }, [], []],
    ['ignored resource', { 'nvidia.com/gpu': 9 }, {}, ['nvidia.com/gpu'], []],
    [
      'ignoring one does not ignore others',
      { 'nvidia.com/gpu': 9, cpu: 5000 },
      {},
      ['nvidia.com/gpu'],
      ['cpu'],
    ],
    ['pods is a count, not a request', { pods: 500 }, {}, [], []],
    [
      'report order: cpu, memory, ephemeral-storage, then by name',
      { 'z.com/x': 1, 'a.com/y': 1, 'ephemeral-storage': 1, memory: 9 * GI, cpu: 5000 },
      {},
      [],
      ['cpu', 'memory', 'ephemeral-storage', 'a.com/y', 'z.com/x'],
    ],
  ])('%s', (_name, request, requested, ignore, expected) => {
    expect(insufficientResources(request, allocatable, requested, ignore)).toEqual(expected);
  });
});
