// The composed check: rule, reason and kube-scheduler's plugin order.
import { describe, expect, it } from 'vitest';
import type { NodeShape, PodShape } from '../../../src/core/kube-shapes.js';
import {
  EMPTY_USAGE,
  nodeAdmitsPod,
  nodeEligibility,
  type Eligibility,
  type NodeUsage,
} from '../../../src/core/eligibility/node-eligibility.js';
import { container, GI, node, pod } from './fixtures.js';

const poolB = { key: 'pool', value: 'b', effect: 'NoSchedule' };
const ready = node({ ready: 'True', labels: { zone: 'z1' } });
const withHostPort = (p: PodShape, port: number): PodShape => ({
  ...p,
  spec: {
    ...p.spec,
    containers: [{ ...container({ cpu: '1' }), ports: [{ containerPort: port, hostPort: port }] }],
  },
});
const usage = (u: Partial<NodeUsage>): NodeUsage => ({ ...EMPTY_USAGE, ...u });
const no = (rule: string, reason: string): Eligibility => ({ ok: false, rule, reason }) as Eligibility;

describe('nodeEligibility', () => {
  it.each<[string, PodShape, NodeShape, NodeUsage, Eligibility]>([
    ['a plain pod on an empty Ready node', pod(), ready, EMPTY_USAGE, { ok: true }],
    ['cordoned', pod(), node({ unschedulable: true }), EMPTY_USAGE, no('unschedulable', 'node is cordoned')],
    ['not Ready', pod(), node({ ready: 'False' }), EMPTY_USAGE, no('not-ready', 'node is not Ready')],
    ['Ready Unknown', pod(), node({ ready: 'Unknown' }), EMPTY_USAGE, no('not-ready', 'node is not Ready')],
    [
      'untolerated taint',
      pod(),
      node({ taints: [poolB] }),
      EMPTY_USAGE,
      no('taint', 'node(s) had untolerated taint {pool: b}'),
    ],
    [
      'tolerated taint',
      pod({ tolerations: [{ key: 'pool', operator: 'Exists' }] }),
      node({ taints: [poolB] }),
      EMPTY_USAGE,
      { ok: true },
    ],
    [
      'nodeSelector mismatch',
      pod({ nodeSelector: { zone: 'z2' } }),
      ready,
      EMPTY_USAGE,
      no('node-selector', "node(s) didn't match Pod's node affinity/selector"),
    ],
    [
      'required affinity mismatch',
      pod({ terms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }] }),
      ready,
      EMPTY_USAGE,
      no('node-affinity', "node(s) didn't match Pod's node affinity/selector"),
    ],
    [
      'host port taken',
      withHostPort(pod(), 80),
      ready,
      usage({ hostPorts: [{ hostIP: '127.0.0.1', protocol: 'TCP', port: 80 }] }),
      no('host-port', "node(s) didn't have free ports for the requested pod ports"),
    ],
    [
      'host port free',
      withHostPort(pod(), 80),
      ready,
      usage({ hostPorts: [{ hostIP: '0.0.0.0', protocol: 'UDP', port: 80 }] }),
      { ok: true },
    ],
    ['pod slots full', pod(), ready, usage({ podCount: 110 }), no('too-many-pods', 'Too many pods')],
    ['last pod slot', pod(), ready, usage({ podCount: 109 }), { ok: true }],
    [
      'no pods allocatable',
      pod(),
      node({ allocatable: { cpu: '8', memory: '32Gi' } }),
      EMPTY_USAGE,
      no('too-many-pods', 'Too many pods'),
    ],
    [
      'cpu short',
      pod(),
      ready,
      usage({ requested: { cpu: 7001 } }),
      no('insufficient-resource', 'Insufficient cpu'),
    ],
    ['cpu exactly fits', pod(), ready, usage({ requested: { cpu: 7000, memory: 31 * GI } }), { ok: true }],
    [
      'memory short',
      pod(),
      ready,
      usage({ requested: { memory: 31 * GI + 1 } }),
      no('insufficient-resource', 'Insufficient memory'),
    ],
    [
      'extended resource the node lacks',
      pod({ containers: [container({ 'example.com/foo': '1' })] }),
      ready,
      EMPTY_USAGE,
      no('insufficient-resource', 'Insufficient example.com/foo'),
    ],
    [
      'GPUs short',
      pod({ containers: [container(undefined, { 'nvidia.com/gpu': '4' })] }),
      ready,
      usage({ requested: { 'nvidia.com/gpu': 5 } }),
      no('insufficient-resource', 'Insufficient nvidia.com/gpu'),
    ],
    [
      'overhead tips the pod over',
      pod({ overhead: { cpu: '1m' } }),
      ready,
      usage({ requested: { cpu: 7000 } }),
      no('insufficient-resource', 'Insufficient cpu'),
    ],
  ])('%s', (_name, p, n, u, expected) => {
    expect(nodeEligibility(p, n, u)).toEqual(expected);
  });

  it('ignoreResources skips the resources the caller accounts for', () => {
    const gpuPod = pod({ containers: [container(undefined, { 'nvidia.com/gpu': '4', cpu: '1' })] });
    const full = usage({ requested: { 'nvidia.com/gpu': 8 } });
    expect(nodeEligibility(gpuPod, ready, full).ok).toBe(false);
    expect(nodeEligibility(gpuPod, ready, full, { ignoreResources: ['nvidia.com/gpu'] })).toEqual({
      ok: true,
    });
    const cpuFull = usage({ requested: { 'nvidia.com/gpu': 8, cpu: 8000 } });
    expect(nodeEligibility(gpuPod, ready, cpuFull, { ignoreResources: ['nvidia.com/gpu'] })).toEqual(
      no('insufficient-resource', 'Insufficient cpu'),
    );
  });

  it.each<[string, PodShape, NodeShape, NodeUsage, string]>([
    [
      'cordon before taints and selector',
      pod({ nodeSelector: { zone: 'z9' } }),
      node({ unschedulable: true, taints: [poolB] }),
      EMPTY_USAGE,
      'unschedulable',
    ],
    ['readiness before taints', pod(), node({ ready: 'False', taints: [poolB] }), EMPTY_USAGE, 'not-ready'],
    [
      'taints before the selector',
      pod({ nodeSelector: { zone: 'z9' } }),
      node({ taints: [poolB] }),
      EMPTY_USAGE,
      'taint',
    ],
    [
      'the selector before ports',
      withHostPort(pod({ nodeSelector: { zone: 'z9' } }), 80),
      ready,
      usage({ hostPorts: [{ hostIP: '0.0.0.0', protocol: 'TCP', port: 80 }] }),
      'node-selector',
    ],
    [
      'ports before resources',
      withHostPort(pod(), 80),
      ready,
      usage({ hostPorts: [{ hostIP: '0.0.0.0', protocol: 'TCP', port: 80 }], requested: { cpu: 8000 } }),
      'host-port',
    ],
    [
      'pod count before resources',
      pod(),
      ready,
      usage({ podCount: 110, requested: { cpu: 8000 } }),
      'too-many-pods',
    ],
  ])('reports the first broken rule in kube-scheduler order: %s', (_name, p, n, u, rule) => {
    const result = nodeEligibility(p, n, u);
    expect(result.ok ? undefined : result.rule).toBe(rule);
  });
});

describe('nodeAdmitsPod', () => {
  it('ignores usage: a full node still admits the pod statically', () => {
    const full = usage({ podCount: 110, requested: { cpu: 8000 } });
    expect(nodeEligibility(pod(), ready, full).ok).toBe(false);
    expect(nodeAdmitsPod(pod(), ready)).toEqual({ ok: true });
  });

  it('reports the static rules', () => {
    expect(nodeAdmitsPod(pod(), node({ taints: [poolB] }))).toEqual(
      no('taint', 'node(s) had untolerated taint {pool: b}'),
    );
    expect(nodeAdmitsPod(pod({ nodeSelector: { zone: 'z2' } }), ready)).toEqual(
      no('node-selector', "node(s) didn't match Pod's node affinity/selector"),
    );
  });
});
