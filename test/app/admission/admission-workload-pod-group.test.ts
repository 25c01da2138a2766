// Pods naming an upstream Workload API PodGroup (spec.schedulingGroup.podGroupName) through the whole
// admission decision: the gang annotations derived from the PodGroup, or the exact refusal.
import { admissionService } from '../../support/admission.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionService } from '../../../src/app/admission/admission-service.js';
import {
  type AdmissionDecision,
  type AdmissionServiceOptions,
} from '../../../src/app/admission/admission-service.js';
import type { WorkloadPodGroupFacts } from '../../../src/app/admission/ports.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { FakeOwnerReader } from '../../fakes/owner-reader.js';

const CLIQUE = 'nvidia.com/gpu.clique';
const LEAF = 'network.topology.nvidia.com/leaf';
const ZONE = 'topology.kubernetes.io/zone';
const LEVELS = [CLIQUE, LEAF, ZONE];

let owners: FakeOwnerReader;
beforeEach(() => {
  owners = new FakeOwnerReader();
});

function service(overrides: Partial<AdmissionServiceOptions> = {}): AdmissionService {
  return admissionService({ owners, levels: LEVELS, ...overrides });
}

function member(podGroupName: string, annotations: Record<string, string> = {}, gpus = '4'): PodShape {
  return {
    metadata: { name: 'm-0', annotations },
    spec: {
      schedulingGroup: { podGroupName },
      containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': gpus } } }],
    },
  };
}

async function admit(pod: PodShape, svc = service()): Promise<AdmissionDecision> {
  return svc.review({ operation: 'CREATE', namespace: 'ml', username: 'alice', object: pod });
}

function annotationsOf(decision: AdmissionDecision): Record<string, string> | undefined {
  if (!decision.allowed) throw new Error(`refused: ${JSON.stringify(decision.reasons)}`);
  return decision.pod?.metadata?.annotations;
}

const gang = (minCount: number, ...topologyKeys: string[]): WorkloadPodGroupFacts => ({
  minCount,
  topologyKeys,
});

describe('admission of upstream PodGroup members', () => {
  it.each([
    [
      'a clique key becomes the required level',
      gang(4, CLIQUE),
      {},
      {
        'phalanx.dev/pod-group': 'llm',
        'phalanx.dev/group-size': '4',
        'phalanx.dev/topology-required': CLIQUE,
      },
    ],
    [
      'kubernetes.io/hostname becomes the node level',
      gang(2, 'kubernetes.io/hostname'),
      {},
      {
        'phalanx.dev/pod-group': 'llm',
        'phalanx.dev/group-size': '2',
        'phalanx.dev/topology-required': 'node',
      },
    ],
    [
      'no topology constraint: size only',
      gang(3),
      {},
      { 'phalanx.dev/pod-group': 'llm', 'phalanx.dev/group-size': '3' },
    ],
    [
      "the pod's own annotations stay as written",
      gang(4, ZONE),
      { 'phalanx.dev/topology-required': LEAF, 'phalanx.dev/topology-preferred': CLIQUE },
      {
        'phalanx.dev/pod-group': 'llm',
        'phalanx.dev/group-size': '4',
        'phalanx.dev/topology-required': LEAF,
        'phalanx.dev/topology-preferred': CLIQUE,
      },
    ],
  ])('%s', async (_name, facts, annotations, expected) => {
    owners.workloadPodGroups.set('ml/llm', facts);
    const decision = await admit(member('llm', annotations));
    expect(annotationsOf(decision)).toEqual(expected);
    expect(decision.allowed && decision.gang).toBe('ml/llm');
    expect(decision.allowed && decision.pod?.spec?.schedulerName).toBe('phalanx-scheduler');
    expect(owners.calls).toEqual(['workload-podgroup ml/llm']);
  });

  it('a CPU-only member is grouped and routed too (one schedulerName across the PodGroup)', async () => {
    owners.workloadPodGroups.set('ml/llm', gang(4, CLIQUE));
    const pod: PodShape = {
      metadata: {},
      spec: { schedulingGroup: { podGroupName: 'llm' }, containers: [] },
    };
    const decision = await admit(pod);
    expect(annotationsOf(decision)?.['phalanx.dev/group-size']).toBe('4');
    expect(decision.allowed && decision.pod?.spec?.schedulerName).toBe('phalanx-scheduler');
  });

  it('a PodGroup under the basic policy (no minCount) makes no gang', async () => {
    owners.workloadPodGroups.set('ml/llm', { topologyKeys: [CLIQUE] });
    const decision = await admit(member('llm'));
    expect(decision.allowed).toBe(true);
    expect(decision.allowed && decision.gang).toBeUndefined();
    expect((decision.allowed && decision.pod?.metadata?.annotations) ?? {}).toEqual({});
  });

  it('a topology key of a configured custom level is accepted', async () => {
    owners.workloadPodGroups.set('ml/llm', gang(2, 'example.com/rack'));
    const decision = await admit(member('llm'), service({ levels: [CLIQUE, 'example.com/rack'] }));
    expect(annotationsOf(decision)?.['phalanx.dev/topology-required']).toBe('example.com/rack');
  });

  it.each([
    [
      'an unknown topology key',
      () => owners.workloadPodGroups.set('ml/llm', gang(4, 'example.com/rack')),
      {
        field: 'PodGroup ml/llm spec.schedulingConstraints.topology[0].key',
        rule: 'unknown-name',
        message:
          'PodGroup ml/llm spec.schedulingConstraints.topology[0].key: "example.com/rack" is not a Phalanx ' +
          'topology level; known keys, closest first: kubernetes.io/hostname, nvidia.com/gpu.clique, ' +
          'network.topology.nvidia.com/leaf, topology.kubernetes.io/zone',
      },
    ],
    [
      'a PodGroup that cannot be found (or an API that is not served)',
      () => undefined,
      {
        field: 'spec.schedulingGroup.podGroupName',
        rule: 'unknown-size',
        message:
          'spec.schedulingGroup.podGroupName: PodGroup ml/llm (scheduling.k8s.io/v1beta1) not found; create ' +
          'it before its pods (the API needs Kubernetes ≥ 1.37 with the GenericWorkload feature gate)',
      },
    ],
    [
      'a PodGroup that cannot be read',
      () => owners.failures.set('workload-podgroup ml/llm', 'forbidden'),
      {
        field: 'spec.schedulingGroup.podGroupName',
        rule: 'owner-lookup',
        message:
          'spec.schedulingGroup.podGroupName: cannot read PodGroup ml/llm (scheduling.k8s.io) to size the ' +
          'gang (forbidden); retry shortly',
      },
    ],
    [
      'a minCount of 0',
      () => owners.workloadPodGroups.set('ml/llm', gang(0)),
      {
        field: 'PodGroup ml/llm spec.schedulingPolicy.gang.minCount',
        rule: 'out-of-range',
        message:
          'PodGroup ml/llm spec.schedulingPolicy.gang.minCount: "0" must be a whole number ≥ 1 (the gang size)',
      },
    ],
  ])('refuses %s with the exact reason', async (_name, arrange, reason) => {
    arrange();
    const decision = await admit(member('llm'));
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.reasons).toEqual([reason]);
  });
});
