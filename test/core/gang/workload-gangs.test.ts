import { describe, expect, it } from 'vitest';
import type { ContainerShape, PodShape } from '../../../src/core/kube-shapes.js';
import {
  identifyWorkloadGang,
  isLeaderWorkerSetLeader,
  jobGangSize,
  requestsGpu,
} from '../../../src/core/gang/workload-gangs.js';

const gpuContainer: ContainerShape = { name: 'main', resources: { limits: { 'nvidia.com/gpu': '1' } } };
const cpuContainer: ContainerShape = { name: 'main', resources: { requests: { cpu: '1' } } };

function pod(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  containers: ContainerShape[] = [gpuContainer],
  ownerReferences?: { kind: string; name: string; controller?: boolean }[],
): PodShape {
  return {
    metadata: { labels, annotations, ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { containers },
  };
}

const lws = {
  'leaderworkerset.sigs.k8s.io/name': 'llama',
  'leaderworkerset.sigs.k8s.io/group-index': '2',
  'leaderworkerset.sigs.k8s.io/worker-index': '1',
};
const jobset = {
  'jobset.sigs.k8s.io/jobset-name': 'train',
  'jobset.sigs.k8s.io/replicatedjob-name': 'workers',
  'jobset.sigs.k8s.io/job-index': '1',
  'batch.kubernetes.io/job-name': 'train-workers-1',
  'batch.kubernetes.io/job-completion-index': '0',
};
const indexed = { 'batch.kubernetes.io/job-name': 'tune', 'batch.kubernetes.io/job-completion-index': '3' };

/** A pod naming an upstream Workload API PodGroup in spec.schedulingGroup. */
function upstream(
  podGroupName: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  containers: ContainerShape[] = [gpuContainer],
): PodShape {
  return { metadata: { labels, annotations }, spec: { containers, schedulingGroup: { podGroupName } } };
}
const upstreamGang = (name: string) => ({
  source: 'workload-api',
  group: name,
  size: { kind: 'workload-pod-group', name },
});

describe('identifyWorkloadGang', () => {
  it.each([
    [
      'LeaderWorkerSet: <name>-<group-index>, size from the size annotation',
      pod(lws, { 'leaderworkerset.sigs.k8s.io/size': '4' }),
      {
        source: 'leaderworkerset',
        group: 'llama-2',
        size: { kind: 'annotation', field: 'annotation leaderworkerset.sigs.k8s.io/size', value: '4' },
      },
    ],
    [
      'LeaderWorkerSet without a size annotation: size unknown, with a reason',
      pod(lws),
      {
        source: 'leaderworkerset',
        group: 'llama-2',
        size: {
          kind: 'unknown',
          why: 'LeaderWorkerSet pod has no leaderworkerset.sigs.k8s.io/size annotation',
        },
      },
    ],
    [
      'LeaderWorkerSet leader without GPUs is still grouped',
      pod(
        { ...lws, 'leaderworkerset.sigs.k8s.io/worker-index': '0' },
        { 'leaderworkerset.sigs.k8s.io/size': '3' },
        [cpuContainer],
      ),
      {
        source: 'leaderworkerset',
        group: 'llama-2',
        size: { kind: 'annotation', field: 'annotation leaderworkerset.sigs.k8s.io/size', value: '3' },
      },
    ],
    [
      'JobSet: one gang per child Job, sized by that Job',
      pod(jobset),
      { source: 'jobset', group: 'train-workers-1', size: { kind: 'job', name: 'train-workers-1' } },
    ],
    [
      'indexed Job: the Job name, sized by the Job',
      pod(indexed),
      { source: 'indexed-job', group: 'tune', size: { kind: 'job', name: 'tune' } },
    ],
    [
      'indexed Job named only by its owner reference',
      pod(
        { 'batch.kubernetes.io/job-completion-index': '0' },
        {},
        [gpuContainer],
        [{ kind: 'Job', name: 'x' }],
      ),
      { source: 'indexed-job', group: 'x', size: { kind: 'job', name: 'x' } },
    ],
    [
      'coscheduling label: sized by the PodGroup',
      pod({ 'scheduling.x-k8s.io/pod-group': 'ray' }, {}, [cpuContainer]),
      { source: 'coscheduling', group: 'ray', size: { kind: 'pod-group', name: 'ray' } },
    ],
    [
      'coscheduling label plus an explicit size: the explicit size wins',
      pod({ 'scheduling.x-k8s.io/pod-group': 'ray' }, { 'phalanx.dev/group-size': '5' }),
      { source: 'coscheduling', group: 'ray', size: { kind: 'explicit', value: '5' } },
    ],
    [
      'upstream PodGroup (spec.schedulingGroup.podGroupName): sized and constrained by that PodGroup',
      upstream('llm'),
      upstreamGang('llm'),
    ],
    [
      'upstream PodGroup member without GPUs is still grouped',
      upstream('llm', {}, {}, [cpuContainer]),
      upstreamGang('llm'),
    ],
    [
      'upstream PodGroup wins over a coscheduling label and LeaderWorkerSet labels',
      upstream(
        'llm',
        { ...lws, 'scheduling.x-k8s.io/pod-group': 'ray' },
        { 'leaderworkerset.sigs.k8s.io/size': '4' },
      ),
      upstreamGang('llm'),
    ],
    [
      'upstream PodGroup plus an explicit size: the PodGroup is still read (its topology applies)',
      upstream('llm', {}, { 'phalanx.dev/group-size': '5' }),
      upstreamGang('llm'),
    ],
    [
      'explicit pod-group and group-size win over an upstream PodGroup',
      upstream('llm', {}, { 'phalanx.dev/pod-group': 'mine', 'phalanx.dev/group-size': '2' }),
      { source: 'explicit', group: 'mine', size: { kind: 'explicit', value: '2' } },
    ],
    [
      'an empty podGroupName falls through to the workload labels',
      upstream('', { 'scheduling.x-k8s.io/pod-group': 'ray' }),
      { source: 'coscheduling', group: 'ray', size: { kind: 'pod-group', name: 'ray' } },
    ],
    [
      'explicit pod-group and group-size win over workload labels',
      pod(lws, {
        'phalanx.dev/pod-group': 'mine',
        'phalanx.dev/group-size': '7',
        'leaderworkerset.sigs.k8s.io/size': '4',
      }),
      { source: 'explicit', group: 'mine', size: { kind: 'explicit', value: '7' } },
    ],
  ])('%s', (_name, input, expected) => {
    expect(identifyWorkloadGang(input)).toEqual(expected);
  });

  it.each([
    ['a plain pod', pod({ app: 'web' })],
    ['a CPU-only indexed Job (may run in waves)', pod(indexed, {}, [cpuContainer])],
    ['a CPU-only JobSet Job', pod(jobset, {}, [cpuContainer])],
    ['a non-indexed Job', pod({ 'batch.kubernetes.io/job-name': 'batch' })],
    ['an empty spec.schedulingGroup', { spec: { containers: [gpuContainer], schedulingGroup: {} } }],
    ['an explicit pod-group without size (left to validation)', pod({}, { 'phalanx.dev/pod-group': 'g' })],
  ])('no gang for %s', (_name, input) => {
    expect(identifyWorkloadGang(input)).toBeUndefined();
  });
});

describe('requestsGpu', () => {
  it.each([
    [true, pod({})],
    [true, pod({}, {}, [{ name: 'a', resources: { requests: { 'phalanx.dev/gpu-milli': '250' } } }])],
    [true, pod({}, { 'gpu-fraction': '0.5' }, [cpuContainer])],
    [true, pod({}, { 'phalanx.dev/gpu-memory': '10Gi' }, [cpuContainer])],
    [false, pod({}, {}, [cpuContainer])],
    [true, { spec: { containers: [cpuContainer], initContainers: [gpuContainer] } }],
  ])('%s', (expected, input) => {
    expect(requestsGpu(input)).toBe(expected);
  });
});

describe('jobGangSize', () => {
  it.each([
    [{ parallelism: 8, completions: 8 }, 8],
    [{ parallelism: 8, completions: 3 }, 3],
    [{ parallelism: 4, completions: 100 }, 4],
    [{ completions: 5 }, 1],
    [{}, 1],
  ])('%j → %d', (job, expected) => {
    expect(jobGangSize(job)).toBe(expected);
  });
});

describe('isLeaderWorkerSetLeader', () => {
  it('is true only for worker-index 0 of a LeaderWorkerSet', () => {
    expect(isLeaderWorkerSetLeader(pod({ ...lws, 'leaderworkerset.sigs.k8s.io/worker-index': '0' }))).toBe(
      true,
    );
    expect(isLeaderWorkerSetLeader(pod(lws))).toBe(false);
    expect(isLeaderWorkerSetLeader(pod({ 'leaderworkerset.sigs.k8s.io/worker-index': '0' }))).toBe(false);
  });
});
