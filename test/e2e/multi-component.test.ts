// One gang over four workloads, the shape of disaggregated inference: a CPU-only frontend and router
// (Deployments) beside prefill and decode workers (StatefulSets, 2 × 4 GPUs each), all naming one
// phalanx.dev/pod-group of 6 with the rack as the required level. Nothing binds while a component
// is missing; once the last one exists all six bind together inside one rack — the GPU members in
// one NVLink clique, the CPU-only members on that rack's CPU node, with no device decision.
// Fabric (testbed/fabric/racks.yaml): 2 racks × (2 nodes × 8 GPUs + 1 CPU-only node).
import type { V1Deployment, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { CLIQUE_LABEL, domainsOf, nodeLabels } from '../../testbed/gang-checks.js';
import { isBound, PLACEMENT_LEVEL, podsWithLabel } from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';

const CLUSTER = 'phalanx-e2e-graph';
const NS = 'graph';
const LEAF = 'network.topology.nvidia.com/leaf';
const HOLD_MS = 6_000;
const e2e = useE2E(CLUSTER, { namespaces: [NS], fabricFile: 'testbed/fabric/racks.yaml' });

function template(component: string, gpus: number): V1PodTemplateSpec {
  const resources =
    gpus > 0
      ? { requests: { cpu: '1', 'nvidia.com/gpu': String(gpus) }, limits: { 'nvidia.com/gpu': String(gpus) } }
      : { requests: { cpu: '1' } };
  return {
    metadata: {
      labels: { graph: 'llama', component },
      annotations: {
        'phalanx.dev/pod-group': 'llama',
        'phalanx.dev/group-size': '6',
        'phalanx.dev/topology-required': LEAF,
      },
    },
    spec: {
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources }],
      terminationGracePeriodSeconds: 0,
    },
  };
}

function deployment(component: string): V1Deployment {
  const t = template(component, 0);
  return {
    metadata: { name: component, namespace: NS },
    spec: { replicas: 1, selector: { matchLabels: t.metadata!.labels! }, template: t },
  };
}

function workers(component: string): V1StatefulSet {
  const t = template(component, 4);
  return {
    metadata: { name: component, namespace: NS },
    spec: {
      replicas: 2,
      serviceName: component,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: t.metadata!.labels! },
      template: t,
    },
  };
}

describe(`a gang over four workloads with CPU-only members (Kubernetes v${selectedK8sVersion()})`, () => {
  it('binds nothing until every component exists, then all six inside one rack', async () => {
    await e2e.apps.createNamespacedDeployment({ namespace: NS, body: deployment('frontend') });
    await e2e.apps.createNamespacedDeployment({ namespace: NS, body: deployment('router') });
    await e2e.apps.createNamespacedStatefulSet({ namespace: NS, body: workers('prefill') });
    const members = () => podsWithLabel(e2e.core, NS, 'graph=llama');
    await waitFor('4 members created', async () => ((await members()).length === 4 ? true : undefined));

    const early = await firstViolationWithin(HOLD_MS, async () => {
      const bound = (await members()).filter(isBound);
      return bound.length > 0
        ? `bound before decode existed: ${bound.map((p) => p.metadata?.name).join(', ')}`
        : undefined;
    });
    expect(early).toBeUndefined();
    const frontend = (await members()).find((p) => p.metadata?.labels?.['component'] === 'frontend');
    expect(frontend?.spec?.containers[0]?.resources?.requests?.['phalanx.dev/gpu-milli']).toBe('0');
    expect(frontend?.spec?.schedulerName).toBe('phalanx-scheduler');

    await e2e.apps.createNamespacedStatefulSet({ namespace: NS, body: workers('decode') });
    const pods = await waitFor(
      'all 6 members bound',
      async () => {
        const items = await members();
        return items.length === 6 && items.every(isBound) ? items : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const labels = await nodeLabels(e2e.core);
    expect(domainsOf(pods, labels, LEAF)).toHaveLength(1);
    // The GPU members share the tightest domain that holds them (one clique); the CPU-only members
    // need only the required rack, and take its CPU-only node.
    const gpuMembers = pods.filter((p) => /^(prefill|decode)-/.test(p.metadata?.name ?? ''));
    expect(domainsOf(gpuMembers, labels, CLIQUE_LABEL)).toHaveLength(1);
    for (const pod of pods) {
      const component = pod.metadata?.labels?.['component'] ?? '';
      const devices = pod.metadata?.annotations?.['phalanx.dev/gpu-devices'];
      expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL], pod.metadata?.name).toBe(CLIQUE_LABEL);
      if (component === 'frontend' || component === 'router') {
        expect(pod.spec?.nodeName, component).toMatch(/-c9-n0$/);
        expect(devices, component).toBeUndefined();
      } else {
        expect(devices, pod.metadata?.name).toMatch(/^\d(,\d){3}$/);
      }
    }
  });
});
