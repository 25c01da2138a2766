// `filter.mode: bestTier` through the real kube-scheduler, in a cluster of pools: the filter answers
// only the nodes Phalanx ranks first, so the scheduler's own spreading (LeastAllocated) no longer
// scatters pods Phalanx would pack — and the tier is still only ever drawn from what the scheduler
// offered (selectors, taints, cordon, host CPU taken by a pod Phalanx did not place). Shares still
// pair up on one device and a gang still lands whole in one clique.
// Fabric (testbed/fabric/pools.yaml): 2 racks × 2 cliques × 3 nodes × 8 GPUs; rack leaf-r1 becomes
// pool a (one node cordoned, one node's CPU taken), rack leaf-r2 pool b (tainted).
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { callExtender, schedulerClientTls } from '../../testbed/extender-certs.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { usePoolsE2E } from './support/pools-e2e.js';
import { CORDONED, CPU_FULL, POOL, POOL_A_USABLE } from './support/pool-setup.js';
import { CLIQUE_LABEL } from '../../testbed/gang-checks.js';
import { boundGpuPods, type BoundGpuPod } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';

// Read by Phalanx's configuration when the suite starts it (src/config/load.ts).
process.env['PHALANX_FILTER_MODE'] = 'bestTier';

const CLUSTER = 'phalanx-e2e-best-tier';
const NS = 'tier';

const { e2e, poolOf, cliqueOf } = usePoolsE2E(CLUSTER, NS);

function gpuPod(
  name: string,
  opts: {
    gpus?: number;
    fraction?: string;
    selector?: Record<string, string>;
    annotations?: Record<string, string>;
  },
): V1Pod {
  const gpu = opts.gpus === undefined ? {} : { 'nvidia.com/gpu': String(opts.gpus) };
  return {
    metadata: {
      name,
      namespace: NS,
      annotations: {
        ...(opts.fraction === undefined ? {} : { 'phalanx.dev/gpu-fraction': opts.fraction }),
        ...(opts.annotations ?? {}),
      },
    },
    spec: {
      terminationGracePeriodSeconds: 0,
      ...(opts.selector === undefined ? {} : { nodeSelector: opts.selector }),
      containers: [
        {
          name: 'main',
          image: PAUSE_IMAGE,
          resources: { requests: { cpu: '1', ...gpu }, limits: gpu },
        },
      ],
    },
  };
}

/** Creates the pods one after another, each bound (with its decision) before the next is created. */
async function placeInTurn(pods: readonly V1Pod[]): Promise<BoundGpuPod[]> {
  const placed: BoundGpuPod[] = [];
  for (const body of pods) {
    await e2e.core.createNamespacedPod({ namespace: NS, body });
    const name = body.metadata?.name ?? '';
    placed.push(
      await waitFor(`${name} bound with its decision`, async () =>
        (await boundGpuPods(e2e.core)).find((p) => p.namespace === NS && p.name === name),
      ),
    );
  }
  return placed;
}

async function deleteAll(names: readonly string[]): Promise<void> {
  for (const name of names)
    await e2e.core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
  await waitFor('the pods gone', async () => {
    const left = (await e2e.core.listNamespacedPod({ namespace: NS })).items.filter((p) =>
      names.includes(p.metadata?.name ?? ''),
    );
    return left.length === 0 ? true : undefined;
  });
}

describe(`filter.mode bestTier through the control plane (Kubernetes v${selectedK8sVersion()})`, () => {
  it('packs whole-GPU pods of pool a onto one node, never a cordoned, CPU-full or tainted one', async () => {
    const pods = [0, 1, 2, 3].map((i) => gpuPod(`whole-${i}`, { gpus: 2, selector: { [POOL]: 'a' } }));
    const [first] = await placeInTurn(pods.slice(0, 1));
    // Asked as kube-scheduler asks (its client certificate, the node names it offers), the filter
    // answers the tier alone: the node with the least room left, not every pool-a node where 2 GPUs fit.
    const client = await schedulerClientTls(e2e.phalanx.extenderTls);
    const probe = {
      ...gpuPod('probe', { gpus: 2 }),
      metadata: { name: 'probe', namespace: NS, uid: 'probe-uid' },
    };
    const reply = await callExtender(`${e2e.phalanx.extenderUrl}/filter`, {
      ...client,
      body: JSON.stringify({ Pod: probe, NodeNames: POOL_A_USABLE }),
    });
    expect(reply.status).toBe(200);
    const answer = JSON.parse(reply.body) as { NodeNames?: string[]; Error?: string };
    expect(answer.Error ?? '').toBe('');
    expect(answer.NodeNames).toEqual([first!.node]);
    const placed = [first!, ...(await placeInTurn(pods.slice(1)))];
    const nodes = placed.map((p) => p.node);
    for (const node of nodes) {
      expect(poolOf.get(node)).toBe('a');
      expect([CORDONED, CPU_FULL]).not.toContain(node);
    }
    // kube-scheduler's own scoring would spread them (LeastAllocated); Phalanx's tier is the fullest node.
    expect(new Set(nodes).size).toBe(1);
    const devices = placed.flatMap((p) => p.devices.map((d) => `${p.node}/${d.index}`));
    expect(new Set(devices).size).toBe(8);
    // A pod with no selector and no toleration: the tier comes from what the scheduler offered.
    const [free] = await placeInTurn([gpuPod('no-selector', { gpus: 8 })]);
    expect(poolOf.get(free!.node)).toBe('a');
    expect([CORDONED, CPU_FULL, nodes[0]]).not.toContain(free!.node);
    await deleteAll([...pods.map((p) => p.metadata?.name ?? ''), 'no-selector']);
  });

  it('pairs two half-GPU pods on one device', async () => {
    const placed = await placeInTurn([0, 1].map((i) => gpuPod(`half-${i}`, { fraction: '0.5' })));
    const keys = placed.map((p) => `${p.node}/${p.devices.map((d) => d.index).join(',')}`);
    expect(keys[0]).toBe(keys[1]);
    expect(poolOf.get(placed[0]!.node)).toBe('a');
    await deleteAll(['half-0', 'half-1']);
  });

  it('still places a gang whole inside one NVLink clique', async () => {
    const annotations = {
      'phalanx.dev/pod-group': 'g',
      'phalanx.dev/group-size': '2',
      'phalanx.dev/topology-required': CLIQUE_LABEL,
    };
    const members = [0, 1].map((i) => gpuPod(`g-${i}`, { gpus: 8, selector: { [POOL]: 'a' }, annotations }));
    for (const body of members) await e2e.core.createNamespacedPod({ namespace: NS, body });
    const bound = await waitFor('both gang members bound', async () => {
      const pods = (await boundGpuPods(e2e.core)).filter(
        (p) => p.namespace === NS && p.name.startsWith('g-'),
      );
      return pods.length === 2 ? pods : undefined;
    });
    expect(new Set(bound.map((p) => cliqueOf.get(p.node))).size).toBe(1);
    expect(new Set(bound.map((p) => p.node)).size).toBe(2);
    for (const p of bound) expect([CORDONED, CPU_FULL]).not.toContain(p.node);
    await deleteAll(['g-0', 'g-1']);
  });
});
