// Issue 22 item 4: gangs from the upstream Workload API. Pods that name a scheduling.k8s.io/v1beta1
// PodGroup in spec.schedulingGroup.podGroupName, with no Phalanx annotation, become Phalanx gangs: the
// webhook derives the group, the size (gang minCount) and the required level (the PodGroup's topology
// key), and they bind whole, through Phalanx, in one NVLink clique.
//
// Two layouts of the feature gates (GenericWorkload, TopologyAwareWorkloadScheduling):
//  - as shipped: on the API server and controller manager only. deploy/scheduler passes no
//    --feature-gates, so phalanx-scheduler schedules the members one by one and Phalanx alone makes
//    them a gang (kube-scheduler writes no PodGroup condition);
//  - everywhere, phalanx-scheduler included: kube-scheduler's own pod-group cycle runs as well. With
//    TopologyAwareWorkloadScheduling it simulates the group in each clique in turn, calling the
//    extender inside each; Phalanx re-plans towards the clique it was last offered, so the clique the
//    scheduler then picks may not be Phalanx's plan and that cycle's binds are refused ("gang … is
//    planned on …"). The group is retried and binds whole through Phalanx; this layout checks that it
//    still does, not that it is clean. Run phalanx-scheduler without those gates (as shipped).
// Needs Kubernetes 1.37 (the API is v1beta1 there); skipped, with the reason in its name, otherwise.
// Fabric: 8 nodes × 8 GPUs, cliques of 2 nodes (16 GPUs).
import { CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { refusalOf } from './support/api-refusal.js';
import { useE2E } from './support/e2e-cluster.js';
import { type E2E } from '../../testbed/environment.js';
import { CLIQUE_LABEL, domainsOf, nodeLabels } from '../../testbed/gang-checks.js';
import { GPU_DEVICES, isBound, PLACEMENT_LEVEL, podEvents, podsWithLabel } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';

const VERSION = selectedK8sVersion();
const WORKLOAD_API_VERSION = '1.37.2';
const supported = VERSION === WORKLOAD_API_VERSION;
const skipNote = supported
  ? ''
  : ` [skipped: Kubernetes v${VERSION} does not serve scheduling.k8s.io/v1beta1 PodGroup; needs v${WORKLOAD_API_VERSION}]`;
const NS = 'workload-api';
const DENIED = 'admission webhook "pods.phalanx.dev" denied the request: phalanx: ';
const POD_GROUP_API = { group: 'scheduling.k8s.io', version: 'v1beta1', plural: 'podgroups' } as const;
const GATES = 'GenericWorkload=true,TopologyAwareWorkloadScheduling=true';
const RUNTIME_CONFIG = ['--kube-runtime-config', 'scheduling.k8s.io/v1beta1=true'];
const AS_SHIPPED = [
  ...RUNTIME_CONFIG,
  '--extra-args', `kube-apiserver=feature-gates=${GATES}`,
  '--extra-args', `kube-controller-manager=feature-gates=${GATES}`,
]; // prettier-ignore
const EVERYWHERE = [...RUNTIME_CONFIG, '--kube-feature-gates', GATES];
/** What kube-scheduler's bind reports when it picked another clique than Phalanx's plan. */
const PLAN_MISMATCH = /gang \S+ is planned on \S+, not /;

function podGroup(name: string, minCount: number, topologyKey: string): object {
  return {
    apiVersion: 'scheduling.k8s.io/v1beta1',
    kind: 'PodGroup',
    metadata: { name, namespace: NS },
    spec: {
      schedulingPolicy: { gang: { minCount } },
      schedulingConstraints: { topology: [{ key: topologyKey }] },
    },
  };
}

/** A pod joining `group` through the pod API only: no Phalanx annotation, no schedulerName. */
function member(name: string, group: string, gpus?: number): V1Pod {
  const quantity = gpus === undefined ? undefined : { 'nvidia.com/gpu': String(gpus) };
  return {
    metadata: { name, namespace: NS, labels: { gang: group } },
    spec: {
      schedulingGroup: { podGroupName: group },
      containers: [
        {
          name: 'main',
          image: PAUSE_IMAGE,
          ...(quantity ? { resources: { requests: quantity, limits: quantity } } : {}),
        },
      ],
      terminationGracePeriodSeconds: 0,
    },
  };
}

async function createPodGroup(e2e: E2E, body: object): Promise<void> {
  await e2e.kc
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ ...POD_GROUP_API, namespace: NS, body });
}

/** Status of the PodGroupInitiallyScheduled condition kube-scheduler's pod-group cycle writes, if any. */
async function initiallyScheduled(e2e: E2E, name: string): Promise<string | undefined> {
  const object = (await e2e.kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ ...POD_GROUP_API, namespace: NS, name })) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
  return object.status?.conditions?.find((c) => c.type === 'PodGroupInitiallyScheduled')?.status;
}

/** Creates the PodGroup and its 4 members (4 GPUs each = one clique), checks the admission, waits for all bound. */
async function submitGang(e2e: E2E, group: string): Promise<V1Pod[]> {
  await createPodGroup(e2e, podGroup(group, 4, CLIQUE_LABEL));
  for (let i = 0; i < 4; i++) {
    const created = await e2e.core.createNamespacedPod({
      namespace: NS,
      body: member(`${group}-${i}`, group, 4),
    });
    expect(created.metadata?.annotations, created.metadata?.name).toEqual({
      'phalanx.dev/pod-group': group,
      'phalanx.dev/group-size': '4',
      'phalanx.dev/topology-required': CLIQUE_LABEL,
    });
    expect(created.spec?.schedulerName).toBe('phalanx-scheduler');
  }
  const pods = await waitFor(
    `4 bound members of ${group}`,
    async () => {
      const items = await podsWithLabel(e2e.core, NS, `gang=${group}`);
      return items.length === 4 && items.every(isBound) ? items : undefined;
    },
    {
      timeoutMs: 120_000,
      describe: async () =>
        (await podsWithLabel(e2e.core, NS, `gang=${group}`))
          .map((p) => {
            const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
            return `${p.metadata?.name}: ${p.spec?.nodeName ?? scheduled?.message ?? 'pending'}`;
          })
          .join('; '),
    },
  );
  for (const pod of pods) {
    const annotations = pod.metadata?.annotations ?? {};
    expect(annotations[PLACEMENT_LEVEL], pod.metadata?.name).toBe(CLIQUE_LABEL);
    // Written only by Phalanx's bind: the pod was bound through the extender, not by the default binder.
    expect(annotations[GPU_DEVICES], pod.metadata?.name).toMatch(/^\d+(,\d+){3}$/);
  }
  expect(domainsOf(pods, await nodeLabels(e2e.core), CLIQUE_LABEL)).toHaveLength(1);
  return pods;
}

/** FailedScheduling messages of the pods that say the scheduler bound elsewhere than Phalanx planned. */
async function planMismatches(e2e: E2E, pods: readonly V1Pod[]): Promise<string[]> {
  const messages: string[] = [];
  for (const pod of pods) {
    for (const event of await podEvents(e2e.core, NS, pod.metadata?.name ?? '')) {
      if (PLAN_MISMATCH.test(event.message ?? '')) messages.push(`${pod.metadata?.name}: ${event.message}`);
    }
  }
  return messages;
}

describe(`gangs from the upstream Workload API, gates as shipped (Kubernetes v${VERSION})${skipNote}`, () => {
  const e2e = useE2E('phalanx-e2e-workload-api', { namespaces: [NS], kwokctlArgs: AS_SHIPPED });

  it.skipIf(!supported)(
    'a PodGroup (minCount 4, clique key) and 4 pods naming it: tagged, bound whole through Phalanx in one clique',
    async () => {
      const pods = await submitGang(e2e, 'llm');
      expect(await planMismatches(e2e, pods)).toEqual([]);
      // phalanx-scheduler ran without the gates: no pod-group cycle of its own.
      expect(await initiallyScheduled(e2e, 'llm')).toBeUndefined();
    },
  );

  it.skipIf(!supported)(
    'denies a member (even one without GPUs) whose PodGroup asks for a topology key Phalanx does not know',
    async () => {
      await createPodGroup(e2e, podGroup('racked', 2, 'example.com/rack'));
      const refusal = await refusalOf(() =>
        e2e.core.createNamespacedPod({ namespace: NS, body: member('racked-0', 'racked') }),
      );
      const field = `PodGroup ${NS}/racked spec.schedulingConstraints.topology[0].key`;
      expect(refusal).toEqual({
        code: 422,
        message:
          `${DENIED}${field}: "example.com/rack" is not a Phalanx topology level; known keys, closest first: ` +
          'kubernetes.io/hostname, nvidia.com/gpu.clique, network.topology.nvidia.com/leaf, topology.kubernetes.io/zone',
      });
    },
  );

  it.skipIf(!supported)(
    'denies a member whose PodGroup does not exist, saying to create it first',
    async () => {
      const refusal = await refusalOf(() =>
        e2e.core.createNamespacedPod({ namespace: NS, body: member('ghost-0', 'ghost', 1) }),
      );
      expect(refusal.message).toBe(
        `${DENIED}spec.schedulingGroup.podGroupName: PodGroup ${NS}/ghost (scheduling.k8s.io/v1beta1) not found; ` +
          'create it before its pods (the API needs Kubernetes ≥ 1.37 with the GenericWorkload feature gate)',
      );
    },
  );
});

describe(`gangs from the upstream Workload API, gates on phalanx-scheduler too (Kubernetes v${VERSION})${skipNote}`, () => {
  const e2e = useE2E('phalanx-e2e-workload-api-gated', { namespaces: [NS], kwokctlArgs: EVERYWHERE });

  it.skipIf(!supported)(
    "kube-scheduler's own pod-group cycle runs, and the gang still binds whole through Phalanx in one clique",
    async () => {
      const pods = await submitGang(e2e, 'llm');
      const mismatches = await planMismatches(e2e, pods);
      if (mismatches.length > 0)
        process.stderr.write(`[e2e] retried binds (expected here):\n${mismatches.join('\n')}\n`);
      await waitFor('the PodGroupInitiallyScheduled condition', async () =>
        (await initiallyScheduled(e2e, 'llm')) === 'True' ? true : undefined,
      );
    },
  );
});
