// Issue 10 item 2: hard per-namespace GPU quotas with the built-in ResourceQuota. The webhook gives
// every fractional (and memory-only) pod a phalanx.dev/gpu-milli request; whole GPUs are
// nvidia.com/gpu. The API server's quota admission — which runs after the mutating webhooks —
// counts both, refuses a pod beyond the quota at creation with its own message, and Phalanx never
// hears of the refused pod: /debug/ledger stays as it was.
import type { V1ResourceQuota } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { refusalOf } from './support/api-refusal.js';
import { useE2E } from './support/e2e-cluster.js';
import { boundGpuPods, fetchLedger, isRunning, type LedgerView } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { annotatedPod } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-quota';
const NS = 'quota';
const QUOTA = 'team-gpus';
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

async function quotaUsed(): Promise<Record<string, string>> {
  const quota = await e2e.core.readNamespacedResourceQuota({ name: QUOTA, namespace: NS });
  return quota.status?.used ?? {};
}

async function allRunning(names: readonly string[]): Promise<void> {
  await waitFor(`${names.join(', ')} Running`, async () => {
    const pods = (await e2e.core.listNamespacedPod({ namespace: NS })).items;
    const running = pods.filter((p) => names.includes(p.metadata?.name ?? '') && isRunning(p));
    return running.length === names.length ? true : undefined;
  });
}

/** What Phalanx holds, reduced to what a refused pod could have changed. */
function ledgerFacts(ledger: LedgerView): unknown {
  return {
    totals: ledger.totals,
    holdings: [...ledger.holdings].map((h) => `${h.uid}@${h.node}:${h.state}`).sort(),
  };
}

describe(`ResourceQuota on GPU shares and whole GPUs (Kubernetes v${selectedK8sVersion()})`, () => {
  it('counts the share the webhook adds to fractional and memory-only pods', async () => {
    const quota: V1ResourceQuota = {
      metadata: { name: QUOTA, namespace: NS },
      spec: { hard: { 'requests.phalanx.dev/gpu-milli': '1000', 'requests.nvidia.com/gpu': '2' } },
    };
    await e2e.core.createNamespacedResourceQuota({ namespace: NS, body: quota });
    // Quota admission refuses everything until the controller has written the quota's status.
    const hard = await waitFor('the quota status', async () => {
      const q = await e2e.core.readNamespacedResourceQuota({ name: QUOTA, namespace: NS });
      return q.status?.hard;
    });
    expect(hard).toEqual({ 'requests.phalanx.dev/gpu-milli': '1k', 'requests.nvidia.com/gpu': '2' });

    await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('half', NS, { 'phalanx.dev/gpu-fraction': '0.5' }),
    });
    // 40779 MiB of an 81559 MiB H100 (the e2e fabric's device) is a share of 0.49999…: 500 milli.
    const memoryOnly = await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('memory', NS, { 'phalanx.dev/gpu-memory': '40779' }),
    });
    expect(memoryOnly.spec?.containers[0]?.resources?.requests?.['phalanx.dev/gpu-milli']).toBe('500');
    await e2e.core.createNamespacedPod({ namespace: NS, body: annotatedPod('two-whole', NS, {}, 2) });

    await allRunning(['half', 'memory', 'two-whole']);
    await waitFor('the quota to count both shares and the whole GPUs', async () => {
      const used = await quotaUsed();
      return used['requests.phalanx.dev/gpu-milli'] === '1k' ||
        used['requests.phalanx.dev/gpu-milli'] === '1000'
        ? used
        : undefined;
    });
    expect((await quotaUsed())['requests.nvidia.com/gpu']).toBe('2');
  });

  it('refuses a fractional pod beyond the share quota with the API server quota message, ledger untouched', async () => {
    await waitFor('Phalanx to hold the three running pods', async () => {
      const ledger = await fetchLedger(e2e.phalanx.adminUrl);
      return ledger.holdings.length === 3 ? true : undefined;
    });
    const before = ledgerFacts(await fetchLedger(e2e.phalanx.adminUrl));

    const refusal = await refusalOf(() =>
      e2e.core.createNamespacedPod({
        namespace: NS,
        body: annotatedPod('quarter', NS, { 'gpu-fraction': '0.25' }),
      }),
    );
    expect(refusal.code).toBe(403);
    expect(refusal.message).toBe(
      `pods "quarter" is forbidden: exceeded quota: ${QUOTA}, requested: requests.phalanx.dev/gpu-milli=250, ` +
        'used: requests.phalanx.dev/gpu-milli=1k, limited: requests.phalanx.dev/gpu-milli=1k',
    );

    const wholeRefusal = await refusalOf(() =>
      e2e.core.createNamespacedPod({ namespace: NS, body: annotatedPod('one-whole', NS, {}, 1) }),
    );
    expect(wholeRefusal.code).toBe(403);
    expect(wholeRefusal.message).toBe(
      `pods "one-whole" is forbidden: exceeded quota: ${QUOTA}, requested: requests.nvidia.com/gpu=1, ` +
        'used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2',
    );

    expect(ledgerFacts(await fetchLedger(e2e.phalanx.adminUrl))).toEqual(before);
    const names = (await boundGpuPods(e2e.core)).map((p) => p.name).sort();
    expect(names).toEqual(['half', 'memory', 'two-whole']);
  });

  it("advertises every GPU node's devices as phalanx.dev/gpu-milli capacity and allocatable", async () => {
    // What Kueue's topology-aware admission compares a workload's gpu-milli request with.
    const advertised = await waitFor('every GPU node to advertise GPUs × 1000 milli', async () => {
      const nodes = (await e2e.core.listNode()).items;
      const rows = nodes.map((n) => ({
        node: n.metadata?.name,
        gpus: n.status?.allocatable?.['nvidia.com/gpu'],
        capacity: n.status?.capacity?.['phalanx.dev/gpu-milli'],
        allocatable: n.status?.allocatable?.['phalanx.dev/gpu-milli'],
      }));
      return rows.every((r) => r.capacity === '8k' && r.allocatable === '8k') ? rows : undefined;
    });
    // The e2e fabric: 8 nodes of 8 H100 each; the API server writes 8000 as "8k".
    expect(advertised).toHaveLength(8);
    expect(new Set(advertised.map((r) => r.gpus))).toEqual(new Set(['8']));
    // Each node written once: the write's own watch event matches, so nothing is written again.
    const writes = async (): Promise<string> =>
      ((await (await fetch(`${e2e.phalanx.adminUrl}/metrics`)).text()).match(
        /^phalanx_node_gpu_milli_writes_total\{outcome="written"\} (\d+)$/m,
      ) ?? [])[1] ?? 'none';
    expect(await writes()).toBe('8');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await writes()).toBe('8');
  });

  it('admits a pod again once a share is released', async () => {
    await e2e.core.deleteNamespacedPod({ name: 'half', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('the quota to release the deleted pod share', async () => {
      const used = (await quotaUsed())['requests.phalanx.dev/gpu-milli'];
      return used === '500' ? true : undefined;
    });
    await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('quarter', NS, { 'gpu-fraction': '0.25' }),
    });
    await allRunning(['quarter']);
  });
});
