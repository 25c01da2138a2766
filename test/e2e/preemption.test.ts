// Issue 10 item 4: priority preemption through the real kube-scheduler, with Phalanx's preempt verb
// choosing the victims. Whole GPUs (nvidia.com/gpu), because the scheduler's own preemption runs only
// for resources it counts (phalanx.dev/gpu-milli is ignoredByScheduler). The small fabric: six H100
// nodes × 4 GPUs (two per NVLink clique) and two A100 nodes × 2 GPUs, which a 4-GPU pod never fits.
// Every node's occupancy is built explicitly (fillers pinned by hostname), so the right victims are
// known beforehand:
//  1. a fractional pair on a device the in-tree dry run thinks free: Phalanx counts it, and the node
//     that truly needs the fewest lowest-priority evictions wins;
//  2. a low-priority gang spanning two nodes costs both its members: a single low pod goes first,
//     and when the gang is the only low-priority choice it goes whole — its member on the other node
//     too, which kube-scheduler alone would leave running.
// The time from each preemptor's creation to its binding is printed.
// Issue 10 item 5: a gang whose members a ResourceQuota refused to create is explained as such.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { fewestVictimsScene, preemptionScene } from './support/preemption-scene.js';
import { SMALL_FABRIC, SMALL_H100_NODES } from './support/small-fabric.js';
import { fetchLedger } from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { indexedJob } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-preemption';
const NS = 'preempt';
const CAPPED = 'capped';
const H100: string[] = [...SMALL_H100_NODES];
const e2e = useE2E(CLUSTER, { fabricFile: SMALL_FABRIC, namespaces: [NS, CAPPED] });
const scenes = preemptionScene(e2e, NS, CLUSTER);
const { pod, place, preemptor, evicted, scene } = scenes;

beforeAll(() => scenes.createPriorityClasses());
beforeEach(() => scenes.clear());

describe(`priority preemption through kube-scheduler (Kubernetes v${selectedK8sVersion()})`, () => {
  it('evicts the fewest lowest-priority pods on the node that truly frees 4 GPUs, counting fractional shares', () =>
    fewestVictimsScene(scenes));

  it('takes a single low pod before a two-node gang, then the gang whole across both nodes', async () => {
    const [a] = H100 as [string];
    // The single low pod is the OLDEST candidate: the scheduler alone, seeing one local victim on a
    // gang node too, would break the tie by the latest start and pick a gang node.
    await place([pod('solo', 'low', { gpus: 4, node: a })]);
    const gang = await place(
      [0, 1].map((i) => pod(`g-${i}`, 'low', { gpus: 4, gang: { name: 'g', size: 2 } })),
    );
    const gangNodes = [...gang.values()].sort();
    expect(new Set(gangNodes).size).toBe(2);
    const rest = H100.filter((n) => n !== a && !gangNodes.includes(n));
    await place(rest.map((n, i) => pod(`mid-${i}`, 'mid', { gpus: 4, node: n })));

    const p2 = await preemptor('p2');
    expect(p2.node, await scene()).toBe(a);
    expect(await evicted(['solo']), await scene()).toEqual(['solo']);
    expect(await evicted(['g-0', 'g-1', ...rest.map((_, i) => `mid-${i}`)]), await scene()).toEqual([]);

    const p3 = await preemptor('p3');
    expect(gangNodes, await scene()).toContain(p3.node);
    await waitFor('both gang members evicted', async () =>
      (await evicted(['g-0', 'g-1'])).length === 2 ? true : undefined,
    );
    expect(await evicted(['p2', ...rest.map((_, i) => `mid-${i}`)]), await scene()).toEqual([]);
    const other = gangNodes.find((n) => n !== p3.node) ?? '';
    await waitFor(`the gang's other node ${other} free in the ledger`, async () => {
      const devices = (await fetchLedger(e2e.phalanx.adminUrl)).nodes[other] ?? [];
      return devices.every((d) => d.usedMilli === 0) ? true : undefined;
    });
    const events = (await e2e.core.listNamespacedEvent({ namespace: NS })).items;
    expect(events.some((ev) => ev.reason === 'GangPreempted')).toBe(true);
    // Nothing else is evicted afterwards.
    const violation = await firstViolationWithin(3_000, async () => {
      const gone = await evicted(['p2', 'p3', ...rest.map((_, i) => `mid-${i}`)]);
      return gone.length > 0 ? `evicted: ${gone.join(', ')}` : undefined;
    });
    expect(violation).toBeUndefined();
  });

  it('says a gang waits for members a ResourceQuota refused to create, not for capacity', async () => {
    await e2e.core.deleteCollectionNamespacedResourceQuota({ namespace: CAPPED });
    await e2e.core.createNamespacedResourceQuota({
      namespace: CAPPED,
      body: {
        metadata: { name: 'gpus', namespace: CAPPED },
        spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
      },
    });
    await waitFor('the quota status', async () => {
      const q = await e2e.core.readNamespacedResourceQuota({ name: 'gpus', namespace: CAPPED });
      return q.status?.hard ? true : undefined;
    });
    // Three members of one GPU each; the quota admits two, the Job controller's third create fails.
    await e2e.batch
      .deleteNamespacedJob({ name: 'train', namespace: CAPPED, propagationPolicy: 'Background' })
      .catch(() => undefined);
    await waitFor('no Job pods left from an earlier attempt', async () =>
      (await e2e.core.listNamespacedPod({ namespace: CAPPED })).items.length === 0 ? true : undefined,
    );
    await e2e.batch.createNamespacedJob({ namespace: CAPPED, body: indexedJob('train', CAPPED, 3, 1) });
    const message = await waitFor(
      'a WaitingForQuota event on a member',
      async () => {
        const events = (await e2e.core.listNamespacedEvent({ namespace: CAPPED })).items;
        return events.find((ev) => ev.reason === 'WaitingForQuota' && ev.involvedObject?.kind === 'Pod')
          ?.message;
      },
      { timeoutMs: 30_000 },
    );
    expect(message).toMatch(/2 of 3 members/);
    expect(message).toMatch(/exceeded quota: gpus/);
    await e2e.batch.deleteNamespacedJob({
      name: 'train',
      namespace: CAPPED,
      propagationPolicy: 'Background',
    });
  });
});
