// `gangCommit: eager` through the real kube-scheduler, in a cluster of pools: a gang's members are
// bound one by one as the scheduler reaches bind for each, no member waiting for the others, while the
// plan made at the first member still keeps the whole gang inside one NVLink clique of the pool its
// selector names — never on a cordoned node, one whose CPU a pod Phalanx did not place has taken, or
// the tainted pool.
// Fabric (testbed/fabric/pools.yaml): 2 racks × 2 cliques × 3 nodes × 8 GPUs; rack leaf-r1 becomes
// pool a (one node cordoned, one node's CPU taken), rack leaf-r2 pool b (tainted).
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { usePoolsE2E } from './support/pools-e2e.js';
import { CORDONED, CPU_FULL, POOL } from './support/pool-setup.js';
import { CLIQUE_LABEL } from '../../testbed/gang-checks.js';
import { boundGpuPods, type BoundGpuPod } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';

// Read by Phalanx's configuration when the suite starts it (src/config/load.ts).
process.env['PHALANX_GANG_COMMIT'] = 'eager';

const CLUSTER = 'phalanx-e2e-gang-eager';
const NS = 'eager';

const { e2e, poolOf, cliqueOf } = usePoolsE2E(CLUSTER, NS);

function member(group: string, index: number, size: number, gpus: number): V1Pod {
  const gpu = { 'nvidia.com/gpu': String(gpus) };
  return {
    metadata: {
      name: `${group}-${index}`,
      namespace: NS,
      annotations: {
        'phalanx.dev/pod-group': group,
        'phalanx.dev/group-size': String(size),
        'phalanx.dev/topology-required': CLIQUE_LABEL,
      },
    },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { [POOL]: 'a' },
      containers: [
        { name: 'main', image: PAUSE_IMAGE, resources: { requests: { cpu: '1', ...gpu }, limits: gpu } },
      ],
    },
  };
}

async function boundMembers(group: string): Promise<BoundGpuPod[]> {
  return (await boundGpuPods(e2e.core)).filter((p) => p.namespace === NS && p.name.startsWith(`${group}-`));
}

async function deleteGroup(group: string, size: number): Promise<void> {
  for (let i = 0; i < size; i++) {
    await e2e.core.deleteNamespacedPod({ name: `${group}-${i}`, namespace: NS, gracePeriodSeconds: 0 });
  }
  await waitFor(`gang ${group} gone`, async () => {
    const left = (await e2e.core.listNamespacedPod({ namespace: NS })).items.filter((p) =>
      (p.metadata?.name ?? '').startsWith(`${group}-`),
    );
    return left.length === 0 ? true : undefined;
  });
}

describe(`gangCommit eager through the control plane (Kubernetes v${selectedK8sVersion()})`, () => {
  it('binds the first member before its peer exists, then the peer next to it in the same clique', async () => {
    await e2e.core.createNamespacedPod({ namespace: NS, body: member('e', 0, 2, 8) });
    // With the barrier this member would wait (up to bindBarrierMs) for its peer, which does not exist yet.
    const [first] = await waitFor('the first member bound alone', async () => {
      const bound = await boundMembers('e');
      return bound.length === 1 ? bound : undefined;
    });
    expect(poolOf.get(first!.node)).toBe('a');
    await e2e.core.createNamespacedPod({ namespace: NS, body: member('e', 1, 2, 8) });
    const bound = await waitFor('both members bound', async () => {
      const pods = await boundMembers('e');
      return pods.length === 2 ? pods : undefined;
    });
    expect(new Set(bound.map((p) => p.node)).size).toBe(2);
    expect(new Set(bound.map((p) => cliqueOf.get(p.node))).size).toBe(1);
    for (const p of bound) {
      expect(poolOf.get(p.node)).toBe('a');
      expect([CORDONED, CPU_FULL]).not.toContain(p.node);
    }
    await deleteGroup('e', 2);
  });

  it('keeps the peers of a bound member out of reach of other pods until they come', async () => {
    // Pool a has two usable nodes per clique: a 2 × 8-GPU gang's first member holds its clique's
    // other node for its peer, so a pod of another gang asking for a whole clique goes elsewhere.
    await e2e.core.createNamespacedPod({ namespace: NS, body: member('h', 0, 2, 8) });
    const [held] = await waitFor('the first member bound', async () => {
      const bound = await boundMembers('h');
      return bound.length === 1 ? bound : undefined;
    });
    for (let i = 0; i < 2; i++)
      await e2e.core.createNamespacedPod({ namespace: NS, body: member('o', i, 2, 8) });
    const other = await waitFor('the other gang bound', async () => {
      const pods = await boundMembers('o');
      return pods.length === 2 ? pods : undefined;
    });
    const heldClique = cliqueOf.get(held!.node);
    for (const p of other) expect(cliqueOf.get(p.node)).not.toBe(heldClique);
    await e2e.core.createNamespacedPod({ namespace: NS, body: member('h', 1, 2, 8) });
    const bound = await waitFor('the held gang complete', async () => {
      const pods = await boundMembers('h');
      return pods.length === 2 ? pods : undefined;
    });
    expect(new Set(bound.map((p) => cliqueOf.get(p.node)))).toEqual(new Set([heldClique]));
    await deleteGroup('h', 2);
    await deleteGroup('o', 2);
  });
});
