// fast-check arbitraries for pods, nodes and node usages, biased so a fair share of pods are eligible.
import fc from 'fast-check';
import type {
  NodeSelectorRequirementShape,
  NodeShape,
  PodShape,
  TaintShape,
  TolerationShape,
} from '../../../src/core/kube-shapes.js';
import type { HostPort } from '../../../src/core/eligibility/host-ports.js';
import type { NodeUsage } from '../../../src/core/eligibility/node-eligibility.js';

export const KEYS = [
  'zone',
  'pool',
  'gpu',
  'tier',
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unschedulable',
];
export const VALUES = ['', 'a', 'b', '1', '8', 'x1'];
export const key = fc.constantFrom(...KEYS);
export const value = fc.constantFrom(...VALUES);
export const labels = fc.dictionary(key, value, { maxKeys: 4 });

/** `usual` half of the time, else a draw from `other` (keeps a fair share of eligible cases). */
export const often = <T>(usual: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof(fc.constant(usual), other);

export const taint: fc.Arbitrary<TaintShape> = fc.record({
  key,
  value,
  effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
});
export const toleration: fc.Arbitrary<TolerationShape> = fc.record({
  key: fc.constantFrom('', ...KEYS),
  operator: fc.constantFrom('Equal', 'Exists', ''),
  value,
  effect: fc.constantFrom('', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'),
});
export const requirement: fc.Arbitrary<NodeSelectorRequirementShape> = fc.record({
  key,
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'),
  values: fc.array(value, { maxLength: 2 }),
});
export const hostPort: fc.Arbitrary<HostPort> = fc.record({
  hostIP: fc.constantFrom('0.0.0.0', '', '127.0.0.1', '10.0.0.1'),
  protocol: fc.constantFrom('TCP', 'UDP', ''),
  port: fc.constantFrom(0, 80, 443),
});

export const pod: fc.Arbitrary<PodShape> = fc
  .record({
    nodeSelector: often({}, fc.dictionary(key, value, { maxKeys: 1 })),
    terms: fc.option(fc.array(fc.array(requirement, { maxLength: 2 }), { maxLength: 2 }), {
      nil: undefined,
      freq: 2,
    }),
    tolerations: fc.array(toleration, { maxLength: 3 }),
    cpuMilli: fc.integer({ min: 0, max: 4000 }),
    memoryMi: fc.integer({ min: 0, max: 4096 }),
    gpus: fc.integer({ min: 0, max: 4 }),
    ports: fc.array(hostPort, { maxLength: 2 }),
  })
  .map((p) => ({
    spec: {
      nodeSelector: p.nodeSelector,
      tolerations: p.tolerations,
      containers: [
        {
          resources: {
            requests: { cpu: `${p.cpuMilli}m`, memory: `${p.memoryMi}Mi` },
            limits: { 'nvidia.com/gpu': p.gpus },
          },
          ports: p.ports.map((h) => ({
            containerPort: h.port,
            hostPort: h.port,
            protocol: h.protocol,
            hostIP: h.hostIP,
          })),
        },
      ],
      ...(p.terms
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: p.terms.map((matchExpressions) => ({ matchExpressions })),
                },
              },
            },
          }
        : {}),
    },
  }));

export const node: fc.Arbitrary<NodeShape> = fc
  .record({
    labels,
    taints: often([], fc.array(taint, { maxLength: 2 })),
    unschedulable: fc.constantFrom(false, false, false, true),
    ready: fc.constantFrom('True', 'True', undefined, 'False', 'Unknown'),
    cpu: fc.integer({ min: 0, max: 16000 }),
    pods: fc.integer({ min: 0, max: 8 }),
  })
  .map((n) => ({
    metadata: { name: 'n', labels: n.labels },
    spec: { unschedulable: n.unschedulable, taints: n.taints },
    status: {
      allocatable: { cpu: `${n.cpu}m`, memory: '8Gi', pods: n.pods, 'nvidia.com/gpu': 4 },
      conditions: n.ready === undefined ? [] : [{ type: 'Ready', status: n.ready }],
    },
  }));

export const usage: fc.Arbitrary<NodeUsage> = fc.record({
  requested: fc.record({
    cpu: fc.integer({ min: 0, max: 8000 }),
    memory: fc.integer({ min: 0, max: 8 * 1024 ** 3 }),
  }),
  podCount: fc.integer({ min: 0, max: 4 }),
  hostPorts: often([], fc.array(hostPort, { maxLength: 3 })),
});

/** A usage no larger than `u`: each amount scaled down, fewer pods, a subset of the ports. */
export const smaller = (u: NodeUsage) =>
  fc
    .record({
      cpu: fc.integer({ min: 0, max: u.requested['cpu'] ?? 0 }),
      memory: fc.integer({ min: 0, max: u.requested['memory'] ?? 0 }),
      podCount: fc.integer({ min: 0, max: u.podCount }),
      hostPorts: fc.subarray([...u.hostPorts]),
    })
    .map((s): NodeUsage => ({
      requested: { cpu: s.cpu, memory: s.memory },
      podCount: s.podCount,
      hostPorts: s.hostPorts,
    }));

/** The pod without node selection and tolerating every taint, so only the usage rules can refuse it. */
export const usageOnly = (p: PodShape): PodShape => ({
  ...p,
  spec: { ...p.spec, nodeSelector: {}, affinity: {}, tolerations: [{ operator: 'Exists' }] },
});
