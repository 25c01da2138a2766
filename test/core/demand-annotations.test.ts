import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { parsePodDemand } from '../../src/core/pod-demand.js';
import type { DemandOptions } from '../../src/core/pod-demand.js';
import { demandError } from '../support/pod-specs.js';

const CLIQUE = 'nvidia.com/gpu.clique';
const LEAF = 'network.topology.nvidia.com/leaf';
const ZONE = 'topology.kubernetes.io/zone';
const LEVELS = [CLIQUE, LEAF, ZONE];

function annotated(annotations: Record<string, string>, namespace?: string): PodShape {
  return {
    metadata: { name: 'p', ...(namespace ? { namespace } : {}), annotations },
    spec: { containers: [{ name: 'main' }] },
  };
}

describe('gang identity', () => {
  it('reads pod-group and group-size into a namespaced key', () => {
    const demand = parsePodDemand(
      annotated({ 'phalanx.dev/pod-group': 'llama-70b-0', 'phalanx.dev/group-size': '4' }, 'inference'),
    );
    expect(demand.gang).toEqual({ key: 'inference/llama-70b-0', name: 'llama-70b-0', size: 4 });
  });

  it('uses the default namespace when the pod has none', () => {
    const demand = parsePodDemand(
      annotated({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': ' 1 ' }),
    );
    expect(demand.gang).toEqual({ key: 'default/g', name: 'g', size: 1 });
  });

  it('reads the gang commit when a member asks for one', () => {
    const gang = { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '2' };
    expect(parsePodDemand(annotated({ ...gang, 'phalanx.dev/gang-commit': ' eager ' })).gang).toEqual({
      key: 'default/g',
      name: 'g',
      size: 2,
      commit: 'eager',
    });
    expect(parsePodDemand(annotated({ ...gang, 'phalanx.dev/gang-commit': 'barrier' })).gang?.commit).toBe(
      'barrier',
    );
  });

  it('has no gang without the annotations', () => {
    expect(parsePodDemand(annotated({})).gang).toBeUndefined();
  });

  it.each<[string, Record<string, string>, string, string, string]>([
    [
      'group without size',
      { 'phalanx.dev/pod-group': 'g' },
      'phalanx.dev/group-size',
      'missing-pair',
      'annotation phalanx.dev/group-size: missing, but phalanx.dev/pod-group is set; say how many pods the group has',
    ],
    [
      'size without group',
      { 'phalanx.dev/group-size': '2' },
      'phalanx.dev/pod-group',
      'missing-pair',
      'annotation phalanx.dev/pod-group: missing, but phalanx.dev/group-size is set; a group size needs a group name',
    ],
    [
      'size of zero',
      { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '0' },
      'phalanx.dev/group-size',
      'out-of-range',
      'annotation phalanx.dev/group-size: "0" must be a whole number ≥ 1',
    ],
    [
      'fractional size',
      { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '2.5' },
      'phalanx.dev/group-size',
      'not-an-integer',
      'annotation phalanx.dev/group-size: "2.5" must be a whole number ≥ 1',
    ],
    [
      'negative size',
      { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '-3' },
      'phalanx.dev/group-size',
      'not-an-integer',
      'annotation phalanx.dev/group-size: "-3" must be a whole number ≥ 1',
    ],
    [
      'an unknown gang commit',
      { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '2', 'phalanx.dev/gang-commit': 'Eager!' },
      'phalanx.dev/gang-commit',
      'unknown-name',
      'annotation phalanx.dev/gang-commit: "Eager!" must be barrier or eager',
    ],
    [
      'a gang commit outside any gang',
      { 'phalanx.dev/gang-commit': 'eager' },
      'phalanx.dev/gang-commit',
      'missing-pair',
      'annotation phalanx.dev/gang-commit: set, but the pod is in no gang (phalanx.dev/pod-group and ' +
        'phalanx.dev/group-size missing)',
    ],
  ])('rejects %s', (_name, annotations, field, rule, message) => {
    const error = demandError(annotated(annotations));
    expect([error.field, error.rule, error.message]).toEqual([field, rule, message]);
  });

  it.each(['a/b', '', ' ', '-g', 'g_', 'has space'])('rejects the group name %j', (name) => {
    const error = demandError(annotated({ 'phalanx.dev/pod-group': name, 'phalanx.dev/group-size': '2' }));
    expect([error.field, error.rule]).toEqual(['phalanx.dev/pod-group', 'malformed']);
  });
});

describe('topology constraints', () => {
  it.each<[string, Record<string, string>, DemandOptions, unknown]>([
    ['none', {}, {}, {}],
    [
      'required clique',
      { 'phalanx.dev/topology-required': CLIQUE },
      { levels: LEVELS },
      { required: CLIQUE },
    ],
    [
      'KAI aliases',
      {
        'kai.scheduler/topology-required-placement': ZONE,
        'kai.scheduler/topology-preferred-placement': CLIQUE,
      },
      { levels: LEVELS },
      { required: ZONE, preferred: CLIQUE },
    ],
    [
      'the node pseudo-level',
      { 'phalanx.dev/topology-preferred': 'node' },
      { levels: LEVELS },
      { preferred: 'node' },
    ],
    [
      'preferred equal to required',
      { 'phalanx.dev/topology-required': LEAF, 'phalanx.dev/topology-preferred': LEAF },
      { levels: LEVELS },
      { required: LEAF, preferred: LEAF },
    ],
    [
      'any label key when no levels are configured',
      { 'phalanx.dev/topology-required': 'example.com/rack' },
      {},
      { required: 'example.com/rack' },
    ],
  ])('%s', (_name, annotations, opts, topology) => {
    expect(parsePodDemand(annotated(annotations), opts).topology).toEqual(topology);
  });

  it.each<[string, Record<string, string>, DemandOptions, string, string]>([
    [
      'an unknown level',
      { 'phalanx.dev/topology-required': 'example.com/rack' },
      { levels: LEVELS },
      'phalanx.dev/topology-required',
      'unknown-name',
    ],
    [
      'an unknown alias level',
      { 'kai.scheduler/topology-preferred-placement': 'rack' },
      { levels: LEVELS },
      'kai.scheduler/topology-preferred-placement',
      'unknown-name',
    ],
    [
      'preferred wider than required',
      { 'phalanx.dev/topology-required': CLIQUE, 'phalanx.dev/topology-preferred': ZONE },
      { levels: LEVELS },
      'phalanx.dev/topology-preferred',
      'conflict',
    ],
    [
      'preferred wider than required with default levels',
      { 'phalanx.dev/topology-required': 'node', 'phalanx.dev/topology-preferred': LEAF },
      {},
      'phalanx.dev/topology-preferred',
      'conflict',
    ],
    [
      'canonical and alias that disagree',
      { 'phalanx.dev/topology-required': CLIQUE, 'kai.scheduler/topology-required-placement': ZONE },
      {},
      'phalanx.dev/topology-required',
      'conflict',
    ],
    [
      'an empty level',
      { 'phalanx.dev/topology-required': '  ' },
      {},
      'phalanx.dev/topology-required',
      'malformed',
    ],
  ])('rejects %s', (_name, annotations, opts, field, rule) => {
    const error = demandError(annotated(annotations), opts);
    expect([error.field, error.rule]).toEqual([field, rule]);
    expect(error.message.startsWith(`annotation ${field}: `)).toBe(true);
  });

  it('lists the known levels when one is unknown', () => {
    expect(
      demandError(annotated({ 'phalanx.dev/topology-required': 'rack' }), { levels: LEVELS }).message,
    ).toBe(
      `annotation phalanx.dev/topology-required: "rack" is not a topology level; known levels, closest first: ` +
        `node, ${CLIQUE}, ${LEAF}, ${ZONE}`,
    );
  });
});

describe('policy', () => {
  it('reads the policy name', () => {
    expect(parsePodDemand(annotated({ 'phalanx.dev/policy': ' spread ' })).policy).toBe('spread');
    expect(parsePodDemand(annotated({})).policy).toBeUndefined();
  });

  it.each<[string, DemandOptions, string]>([
    ['', {}, 'malformed'],
    ['fancy', { policies: ['binpack', 'spread'] }, 'unknown-name'],
  ])('rejects %j', (value, opts, rule) => {
    const error = demandError(annotated({ 'phalanx.dev/policy': value }), opts);
    expect([error.field, error.rule]).toEqual(['phalanx.dev/policy', rule]);
  });
});

describe('a realistic LeaderWorkerSet worker pod', () => {
  // vLLM worker: model download init container, a native sidecar metrics exporter, the engine with 8 GPUs.
  const worker: PodShape = {
    metadata: {
      name: 'llama-405b-0-1',
      namespace: 'serving',
      labels: {
        'leaderworkerset.sigs.k8s.io/name': 'llama-405b',
        'leaderworkerset.sigs.k8s.io/worker-index': '1',
      },
      annotations: {
        'leaderworkerset.sigs.k8s.io/size': '4',
        'phalanx.dev/pod-group': 'llama-405b-0',
        'phalanx.dev/group-size': '4',
        'phalanx.dev/topology-required': LEAF,
        'phalanx.dev/topology-preferred': CLIQUE,
        'phalanx.dev/policy': 'binpack',
      },
    },
    spec: {
      initContainers: [
        { name: 'fetch-weights', resources: { requests: { cpu: '4', memory: '16Gi' } } },
        {
          name: 'dcgm-exporter',
          restartPolicy: 'Always',
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        },
      ],
      containers: [
        {
          name: 'vllm',
          resources: {
            requests: { cpu: '32', memory: '512Gi', 'nvidia.com/gpu': '8' },
            limits: { memory: '512Gi', 'nvidia.com/gpu': '8' },
          },
        },
      ],
    },
  };

  it('parses every part of the demand', () => {
    expect(parsePodDemand(worker, { levels: LEVELS, policies: ['binpack', 'spread'] })).toEqual({
      gpu: { kind: 'whole', count: 8 },
      gang: { key: 'serving/llama-405b-0', name: 'llama-405b-0', size: 4 },
      topology: { required: LEAF, preferred: CLIQUE },
      policy: 'binpack',
      cpuMilli: 32_250,
      memoryBytes: 512 * 1024 ** 3 + 512 * 1024 ** 2,
    });
  });

  it('counts host resources of init containers by their peak and limits when no request is set', () => {
    const p: PodShape = {
      spec: {
        initContainers: [{ name: 'big-init', resources: { limits: { cpu: '8', memory: '2Gi' } } }],
        containers: [
          { name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } },
          { name: 'b', resources: { requests: { cpu: '500m' } } },
        ],
      },
    };
    const demand = parsePodDemand(p);
    expect([demand.cpuMilli, demand.memoryBytes]).toEqual([8000, 2 * 1024 ** 3]);
  });

  it('reports a bad host request by its container field', () => {
    const error = demandError({
      spec: { containers: [{ name: 'a', resources: { requests: { cpu: 'lots' } } }] },
    });
    expect([error.field, error.rule]).toEqual(['spec.containers[0].resources.requests[cpu]', 'not-a-number']);
  });
});
