// Demand an autoscaler can see (issue 19, part 3): a gang and GPU shares that wait because no node
// of their pools exists get capacity placeholders with their constraints; a stand-in autoscaler
// (testbed/autoscaler-stand-in.ts) adds KWOK nodes of the pool that would take each placeholder; the
// gang binds in one NVLink clique of the new nodes, the shares bind on the new tainted-pool node, a
// gated pod (waiting for admission, not for room) never becomes demand, and no placeholder is left.
// The e2e fabric's GPU nodes (no `pool` label), a CPU-only pool listed first and a tainted pool make
// sure the placeholders carry the selectors and tolerations that pick the right pool.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  installProvisioningRequestCrd,
  nodeManifest,
  startAutoscalerStandIn,
  type AutoscalerStandIn,
  type NodePool,
} from '../../testbed/autoscaler-stand-in.js';
import { log } from '../../testbed/environment.js';
import { REPO_ROOT } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';
import { useE2E } from './support/e2e-cluster.js';

// Read by `phalanx serve` (src/config/load.ts) when useE2E starts it: the feature is off by default.
process.env['PHALANX_AUTOSCALING_ENABLED'] = 'true';
// A gang stuck half placed is retried elsewhere after 25 s here (default 10 min): above the stand-in's
// node bring-up, far below the test's patience.
process.env['PHALANX_AUTOSCALING_GANG_STALL_MS'] = '25000';

const CLUSTER = 'phalanx-e2e-autoscaling';
const NS = 'burst';
const PLACEHOLDER_NS = 'phalanx-system';
const UNIT = 'phalanx.dev/capacity-placeholder';
const KIND = 'phalanx.dev/capacity-placeholder-kind';
const CLIQUE = 'nvidia.com/gpu.clique';
const PR_API = { group: 'autoscaling.x-k8s.io', version: 'v1', plural: 'provisioningrequests' } as const;

interface RequestObject {
  metadata?: { name?: string };
  spec?: { provisioningClassName?: string; podSets?: { podTemplateRef: { name: string }; count: number }[] };
}

const TAINT = { key: 'dedicated', value: 'inference', effect: 'NoSchedule' };

const POOLS: NodePool[] = [
  { name: 'cpu', labels: { pool: 'cpu' }, gpus: 0, zone: 'zone-b', cpu: '32', memory: '128Gi' },
  { name: 'burst', labels: { pool: 'burst' }, gpus: 4, zone: 'zone-b', cpu: '64', memory: '512Gi' },
  {
    name: 'dedicated',
    labels: { pool: 'dedicated' },
    taints: [TAINT],
    gpus: 4,
    zone: 'zone-b',
    cpu: '64',
    memory: '512Gi',
  },
];

const e2e = useE2E(CLUSTER, { namespaces: [NS] });
let standIn: AutoscalerStandIn | undefined;

function gangMember(i: number, group = 'g1'): V1Pod {
  return {
    metadata: {
      name: `${group === 'g1' ? 'gang' : group}-${i}`,
      namespace: NS,
      annotations: {
        'phalanx.dev/pod-group': group,
        'phalanx.dev/group-size': '2',
        'phalanx.dev/topology-required': CLIQUE,
      },
    },
    spec: {
      nodeSelector: { pool: 'burst' },
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'main',
          image: PAUSE_IMAGE,
          resources: { requests: { 'nvidia.com/gpu': '4' }, limits: { 'nvidia.com/gpu': '4' } },
        },
      ],
    },
  };
}

function share(name: string, gates: string[] = []): V1Pod {
  return {
    metadata: { name, namespace: NS, annotations: { 'phalanx.dev/gpu-fraction': '0.5' } },
    spec: {
      nodeSelector: { pool: 'dedicated' },
      tolerations: [{ key: TAINT.key, operator: 'Equal', value: TAINT.value, effect: TAINT.effect }],
      terminationGracePeriodSeconds: 0,
      ...(gates.length > 0 ? { schedulingGates: gates.map((name) => ({ name })) } : {}),
      containers: [{ name: 'main', image: PAUSE_IMAGE }],
    },
  };
}

/** Creates a pod, leaving one that exists (a retried test) as it is. */
const createOnce = async (body: V1Pod): Promise<void> => {
  await e2e.core.createNamespacedPod({ namespace: NS, body }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
};
const placeholders = async (): Promise<V1Pod[]> =>
  (await e2e.core.listNamespacedPod({ namespace: PLACEHOLDER_NS, labelSelector: UNIT })).items;
const pods = async (): Promise<V1Pod[]> => (await e2e.core.listNamespacedPod({ namespace: NS })).items;
const describeState = async (): Promise<string> => {
  const ph = (await placeholders()).map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}`);
  const ws = (await pods()).map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}`);
  return `placeholders [${ph.join(', ')}], pods [${ws.join(', ')}], added [${(standIn?.added ?? []).map((n) => n.name).join(', ')}]`;
};

beforeAll(async () => {
  // The shipped PriorityClass (deploy/autoscaling), as `kubectl apply -k deploy/` installs it.
  const text = await readFile(join(REPO_ROOT, 'deploy/autoscaling/priority-class.yaml'), 'utf8');
  const api = KubernetesObjectApi.makeApiClient(e2e.kc);
  await api.patch(
    parse(text) as KubernetesObject,
    undefined,
    undefined,
    'phalanx-e2e',
    true,
    PatchStrategy.ServerSideApply,
  );
});

afterAll(async () => {
  await standIn?.stop();
});

describe('autoscaler-visible demand', () => {
  it('turns a waiting gang and waiting shares into placeholders with their constraints', async () => {
    for (const i of [0, 1]) await e2e.core.createNamespacedPod({ namespace: NS, body: gangMember(i) });
    for (const n of ['s0', 's1', 's2']) await e2e.core.createNamespacedPod({ namespace: NS, body: share(n) });
    await e2e.core.createNamespacedPod({ namespace: NS, body: share('held', ['example.com/admission']) });

    const found = await waitFor(
      'four placeholders (two gang members, two GPUs for three halves)',
      async () => {
        const ph = await placeholders();
        return ph.length >= 4 ? ph : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: describeState },
    );
    expect(found).toHaveLength(4);
    const gang = found.filter((p) => p.metadata?.labels?.[KIND] === 'gang');
    const shares = found.filter((p) => p.metadata?.labels?.[KIND] === 'shares');
    expect(gang).toHaveLength(2);
    expect(shares).toHaveLength(2);
    for (const p of found) {
      expect(p.spec?.schedulerName).toBe('default-scheduler');
      expect(p.spec?.priority).toBeLessThan(0);
      expect(p.spec?.preemptionPolicy).toBe('Never');
    }
    for (const p of gang) {
      expect(p.spec?.nodeSelector).toEqual({ pool: 'burst' });
      expect(p.spec?.containers[0]?.resources?.requests?.['nvidia.com/gpu']).toBe('4');
      const term = p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
      expect(term?.topologyKey).toBe(CLIQUE);
      expect(term?.labelSelector?.matchLabels?.[UNIT]).toBe(gang[0]?.metadata?.labels?.[UNIT]);
    }
    for (const p of shares) {
      expect(p.spec?.nodeSelector).toEqual({ pool: 'dedicated' });
      expect(p.spec?.containers[0]?.resources?.requests?.['nvidia.com/gpu']).toBe('1');
      expect(p.spec?.tolerations).toContainEqual(
        expect.objectContaining({ key: TAINT.key, effect: TAINT.effect }),
      );
    }
  });

  it('binds the gang in one clique and the shares on nodes the stand-in autoscaler adds, leaving no placeholder', async () => {
    standIn = startAutoscalerStandIn({
      kc: e2e.kc,
      pools: POOLS,
      namespace: PLACEHOLDER_NS,
      unschedulableForMs: 2_000,
      cooldownMs: 5_000,
      maxNodes: 8,
      provisioningRequests: true,
      log,
    });
    const bound = await waitFor(
      'gang members and shares bound',
      async () => {
        const all = await pods();
        const wanted = all.filter((p) => p.metadata?.name !== 'held');
        return wanted.length === 5 && wanted.every((p) => p.spec?.nodeName) ? wanted : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000, describe: describeState },
    );
    const added = new Map(standIn.added.map((n) => [n.name, n]));
    const gangNodes = bound
      .filter((p) => p.metadata?.name?.startsWith('gang-'))
      .map((p) => p.spec?.nodeName ?? '');
    expect(gangNodes.every((n) => added.get(n)?.pool === 'burst')).toBe(true);
    expect(new Set(gangNodes.map((n) => added.get(n)?.clique)).size).toBe(1);
    expect(new Set(gangNodes).size).toBe(2);
    const shareNodes = bound
      .filter((p) => p.metadata?.name?.startsWith('s'))
      .map((p) => p.spec?.nodeName ?? '');
    expect(shareNodes.every((n) => added.get(n)?.pool === 'dedicated')).toBe(true);
    // No CPU-only node for GPU demand, and no more nodes than the demand needs (2 + 1).
    expect([...added.values()].filter((n) => n.pool === 'cpu')).toEqual([]);
    expect(added.size).toBeLessThanOrEqual(3);

    await waitFor(
      'no placeholder left',
      async () => ((await placeholders()).length === 0 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 1_000, describe: describeState },
    );
    const held = (await pods()).find((p) => p.metadata?.name === 'held');
    expect(held?.spec?.nodeName).toBeUndefined();
    log(`autoscaling e2e: added ${[...added.keys()].join(', ')}`);
  });

  it('keeps no placeholder once the waiting demand is gone', async () => {
    // The gated pod never counted; with the rest bound, nothing may come back on later passes.
    await e2e.core.deleteNamespacedPod({ name: 'held', namespace: NS });
    const start = Date.now();
    while (Date.now() - start < 15_000) {
      expect(await placeholders()).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });

  it('retries a gang whose first placeholder took the room of a half-free clique, outside that clique', async () => {
    // A burst node alone in its clique, with 4 free GPUs: room for one member, never for the gang.
    const burst = POOLS.find((p) => p.name === 'burst') as NodePool;
    await e2e.core
      .createNode({ body: nodeManifest('frag-0', burst, 'frag.1', 'frag-leaf') })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 409) throw err; // a retry of this test
      });
    await waitFor('node frag-0 Ready', async () => {
      const node = await e2e.core.readNode({ name: 'frag-0' });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? true
        : undefined;
    });
    for (const i of [0, 1]) await createOnce(gangMember(i, 'g3'));
    const bound = await waitFor(
      'gang g3 bound',
      async () => {
        const members = (await pods()).filter((p) => p.metadata?.name?.startsWith('g3-'));
        return members.length === 2 && members.every((p) => p.spec?.nodeName) ? members : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000, describe: describeState },
    );
    const added = new Map((standIn?.added ?? []).map((n) => [n.name, n]));
    const nodes = bound.map((p) => added.get(p.spec?.nodeName ?? ''));
    expect(nodes.every((n) => n?.pool === 'burst')).toBe(true);
    expect(new Set(nodes.map((n) => n?.clique)).size).toBe(1);
    expect(bound.map((p) => p.spec?.nodeName)).not.toContain('frag-0');
    await waitFor(
      'no placeholder left',
      async () => ((await placeholders()).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 1_000,
        describe: describeState,
      },
    );
  });

  it('with gangs: provisioningRequest, gives a waiting gang one ProvisioningRequest the stand-in provisions atomically', async () => {
    await installProvisioningRequestCrd(e2e.kc);
    await e2e.phalanx.stop();
    process.env['PHALANX_AUTOSCALING_GANGS'] = 'provisioningRequest';
    await e2e.phalanx.start();
    for (const i of [0, 1]) await createOnce(gangMember(i, 'g2'));
    const custom = e2e.kc.makeApiClient(CustomObjectsApi);
    const requests = async (): Promise<RequestObject[]> =>
      (
        (await custom.listNamespacedCustomObject({ ...PR_API, namespace: PLACEHOLDER_NS })) as {
          items: RequestObject[];
        }
      ).items;
    const seen = await waitFor(
      'a ProvisioningRequest for gang g2',
      async () => {
        const found = await requests();
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, describe: describeState },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.spec?.podSets).toEqual([
      { podTemplateRef: { name: expect.any(String) as string }, count: 2 },
    ]);
    expect(seen[0]?.spec?.provisioningClassName).toBe('best-effort-atomic-scale-up.autoscaling.x-k8s.io');
    const requestName = seen[0]?.metadata?.name ?? '';

    const bound = await waitFor(
      'gang g2 bound',
      async () => {
        const members = (await pods()).filter((p) => p.metadata?.name?.startsWith('g2-'));
        return members.length === 2 && members.every((p) => p.spec?.nodeName) ? members : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000, describe: describeState },
    );
    const added = new Map((standIn?.added ?? []).map((n) => [n.name, n]));
    const nodes = bound.map((p) => added.get(p.spec?.nodeName ?? ''));
    expect(nodes.every((n) => n?.unit === `request ${requestName}` && n.pool === 'burst')).toBe(true);
    expect(new Set(nodes.map((n) => n?.clique)).size).toBe(1);
    for (const p of bound) {
      expect(p.metadata?.annotations?.['autoscaling.x-k8s.io/consume-provisioning-request']).toBe(
        requestName,
      );
    }
    // No gang placeholder pods in this mode; the request and its templates go once the gang is bound.
    expect((await placeholders()).filter((p) => p.metadata?.labels?.[KIND] === 'gang')).toEqual([]);
    await waitFor(
      'request and PodTemplates removed',
      async () => {
        const templates = await e2e.core.listNamespacedPodTemplate({
          namespace: PLACEHOLDER_NS,
          labelSelector: UNIT,
        });
        return (await requests()).length === 0 && templates.items.length === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, describe: describeState },
    );
  });
});
