// Scenario 1 (issue 8): a Deployment of 0.5-GPU replicas, routed by the webhook, shares devices two
// by two; decision annotations, /debug/ledger and node capacity agree; scaling to zero frees the
// devices and scaling back up uses them again.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import {
  boundGpuPods,
  capacityViolations,
  fetchLedger,
  gpusPerNode,
  isRunning,
  podsWithLabel,
  usageDifferences,
  usageOfLedger,
  usageOfPods,
  type BoundGpuPod,
} from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { fractionalDeployment } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-fractional';
const NS = 'fractional';
const REPLICAS = 6;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

async function scale(replicas: number): Promise<void> {
  await e2e.apps.patchNamespacedDeploymentScale(
    { name: 'infer', namespace: NS, body: { spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Waits until exactly `n` pods of the Deployment run, each with a decision annotation. */
async function runningReplicas(n: number): Promise<BoundGpuPod[]> {
  return waitFor(`${n} Running 0.5-GPU replicas`, async () => {
    const pods = await podsWithLabel(e2e.core, NS, 'app=infer');
    if (pods.length !== n || !pods.every(isRunning)) return undefined;
    const bound = (await boundGpuPods(e2e.core)).filter((p) => p.namespace === NS);
    return bound.length === n ? bound : undefined;
  });
}

/** Waits until the ledger shows exactly what the bound pods' annotations say. */
async function ledgerAgrees(): Promise<void> {
  await waitFor(
    '/debug/ledger to agree with the decision annotations',
    async () => {
      const [pods, ledger] = [await boundGpuPods(e2e.core), await fetchLedger(e2e.phalanx.adminUrl)];
      return usageDifferences(usageOfPods(pods), usageOfLedger(ledger)).length === 0 ? true : undefined;
    },
    {
      timeoutMs: 20_000,
      describe: async () => {
        const diff = usageDifferences(
          usageOfPods(await boundGpuPods(e2e.core)),
          usageOfLedger(await fetchLedger(e2e.phalanx.adminUrl)),
        );
        return diff.join('; ');
      },
    },
  );
}

function deviceKeys(pods: readonly BoundGpuPod[]): Map<string, string[]> {
  const byDevice = new Map<string, string[]>();
  for (const pod of pods) {
    expect(pod.devices, pod.name).toHaveLength(1);
    const key = `${pod.node}/${pod.devices[0]?.index ?? -1}`;
    byDevice.set(key, [...(byDevice.get(key) ?? []), pod.name]);
  }
  return byDevice;
}

describe(`fractional GPUs through the control plane (Kubernetes v${selectedK8sVersion()})`, () => {
  it('runs 0.5-GPU replicas two per device, routed and tagged by the webhook', async () => {
    await e2e.apps.createNamespacedDeployment({
      namespace: NS,
      body: fractionalDeployment('infer', NS, REPLICAS, '0.5'),
    });
    const pods = await runningReplicas(REPLICAS);
    for (const { pod, devices, name } of pods) {
      expect(pod.spec?.schedulerName, name).toBe('phalanx-scheduler');
      expect(pod.spec?.containers[0]?.resources?.requests?.['phalanx.dev/gpu-milli'], name).toBe('500');
      expect(devices, name).toEqual([{ index: expect.any(Number) as number, milli: 500 }]);
    }
    const byDevice = deviceKeys(pods);
    expect([...byDevice.values()].map((names) => names.length)).toEqual([2, 2, 2]);
    // kube-scheduler's prioritize requests found answers Phalanx computed right after the filter
    // replies (filter.prioritizeAhead): it asks only after decoding the reply and running its own
    // score plugins.
    const metrics = await (await fetch(`${e2e.phalanx.adminUrl}/metrics`)).text();
    const used = /^phalanx_extender_prioritize_ahead_used_total (\d+)$/m.exec(metrics);
    expect(Number(used?.[1] ?? 0)).toBeGreaterThan(0);
  });

  it('has /debug/ledger, the annotations and node capacity in agreement', async () => {
    await ledgerAgrees();
    const pods = await boundGpuPods(e2e.core);
    expect(capacityViolations(usageOfPods(pods), await gpusPerNode(e2e.core))).toEqual([]);
    const ledger = await fetchLedger(e2e.phalanx.adminUrl);
    expect(ledger.totals.capacityMilli).toBe(64 * 1000);
    expect(ledger.totals.committedMilli).toBe(REPLICAS * 500);
    expect(ledger.totals.usedMilli).toBe(REPLICAS * 500);
    for (const [node, devices] of Object.entries(ledger.nodes)) {
      expect(devices.length, node).toBe((await gpusPerNode(e2e.core)).get(node));
      for (const d of devices) expect(d.mode, `${node}/${d.index}`).toBe(d.usedMilli > 0 ? 'shared' : 'free');
    }
  });

  it('frees the devices when the replicas go, and packs them two per device again on scale-up', async () => {
    await scale(0);
    await waitFor('all replicas gone', async () =>
      (await podsWithLabel(e2e.core, NS, 'app=infer')).length === 0 ? true : undefined,
    );
    await waitFor(
      'the ledger to free every share',
      async () => {
        const ledger = await fetchLedger(e2e.phalanx.adminUrl);
        return ledger.totals.usedMilli === 0 && ledger.holdings.length === 0 ? ledger : undefined;
      },
      { timeoutMs: 20_000 },
    );

    await scale(REPLICAS);
    const pods = await runningReplicas(REPLICAS);
    expect([...deviceKeys(pods).values()].map((names) => names.length)).toEqual([2, 2, 2]);
    await ledgerAgrees();
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.committedMilli).toBe(REPLICAS * 500);
  });
});
