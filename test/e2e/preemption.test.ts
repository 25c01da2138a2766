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
import { SchedulingV1Api, type V1Pod } from '@kubernetes/client-node';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { SMALL_FABRIC, SMALL_H100_NODES } from './support/small-fabric.js';
import { fetchLedger, isBound, podEvents } from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { GPU_FRACTION, GROUP_SIZE, indexedJob, PAUSE_IMAGE, POD_GROUP } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-preemption';
const NS = 'preempt';
const CAPPED = 'capped';
const H100: string[] = [...SMALL_H100_NODES];
const PRIORITY = { low: 100, mid: 500, high: 1000 } as const;
type Level = keyof typeof PRIORITY;
const e2e = useE2E(CLUSTER, { fabricFile: SMALL_FABRIC, namespaces: [NS, CAPPED] });

beforeAll(async () => {
  const scheduling = e2e.kc.makeApiClient(SchedulingV1Api);
  for (const [level, value] of Object.entries(PRIORITY)) {
    await scheduling.createPriorityClass({
      body: { metadata: { name: `e2e-${level}` }, value, preemptionPolicy: 'PreemptLowerPriority' },
    });
  }
});

beforeEach(async () => {
  await e2e.core.deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
  await waitFor(
    'no pods and an empty ledger',
    async () => {
      const pods = (await e2e.core.listNamespacedPod({ namespace: NS })).items;
      const ledger = await fetchLedger(e2e.phalanx.adminUrl);
      return pods.length === 0 && ledger.totals.usedMilli === 0 ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
});

interface PodOptions {
  readonly gpus?: number;
  readonly fraction?: string;
  readonly node?: string;
  readonly gang?: { readonly name: string; readonly size: number };
}

function pod(name: string, level: Level, o: PodOptions): V1Pod {
  const annotations: Record<string, string> = {};
  if (o.fraction !== undefined) annotations[GPU_FRACTION] = o.fraction;
  if (o.gang !== undefined) {
    annotations[POD_GROUP] = o.gang.name;
    annotations[GROUP_SIZE] = String(o.gang.size);
  }
  const gpus = o.gpus === undefined ? {} : { 'nvidia.com/gpu': String(o.gpus) };
  return {
    metadata: { name, namespace: NS, labels: { level }, annotations },
    spec: {
      priorityClassName: `e2e-${level}`,
      terminationGracePeriodSeconds: 0,
      ...(o.node === undefined ? {} : { nodeSelector: { 'kubernetes.io/hostname': o.node } }),
      containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: gpus, limits: gpus } }],
    },
  };
}

async function listPods(): Promise<V1Pod[]> {
  return (await e2e.core.listNamespacedPod({ namespace: NS })).items;
}

/** Creates the pods and waits until every one is bound; returns name → node. */
async function place(pods: readonly V1Pod[]): Promise<Map<string, string>> {
  for (const body of pods) await e2e.core.createNamespacedPod({ namespace: NS, body });
  const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
  return waitFor(`${[...names].join(', ')} bound`, async () => {
    const mine = (await listPods()).filter((p) => names.has(p.metadata?.name ?? ''));
    return mine.length === names.size && mine.every(isBound)
      ? new Map(mine.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? '']))
      : undefined;
  });
}

/** Creates a preemptor and waits until it is bound; prints and returns the time it took. */
async function preemptor(name: string): Promise<{ node: string; seconds: number }> {
  const t0 = Date.now();
  await e2e.core.createNamespacedPod({ namespace: NS, body: pod(name, 'high', { gpus: 4 }) });
  const node = await waitFor(
    `${name} bound`,
    async () => {
      const found = (await listPods()).find((p) => p.metadata?.name === name);
      return found?.spec?.nodeName || undefined;
    },
    {
      timeoutMs: 45_000,
      describe: async () => (await podEvents(e2e.core, NS, name)).map((e) => e.message).join(' | '),
    },
  );
  const seconds = (Date.now() - t0) / 1000;
  process.stderr.write(
    `[e2e] ${CLUSTER}: preemptor ${name} bound on ${node} ${seconds.toFixed(1)} s after creation\n`,
  );
  return { node, seconds };
}

/** Names of the pods that are gone or being deleted, among `names`. */
async function evicted(names: readonly string[]): Promise<string[]> {
  const alive = new Map((await listPods()).map((p) => [p.metadata?.name ?? '', p]));
  return names.filter((n) => {
    const p = alive.get(n);
    return p === undefined || p.metadata?.deletionTimestamp != null || p.status?.phase === 'Failed';
  });
}

/** The namespace's pods and preemption Events, for failure messages. */
async function scene(): Promise<string> {
  const pods = (await listPods()).map((p) => {
    const mark = p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason;
    const deleting = p.metadata?.deletionTimestamp != null ? ' deleting' : '';
    return `${p.metadata?.name}@${p.spec?.nodeName ?? '-'} ${p.status?.phase}${deleting}${mark ? ` ${mark}` : ''}`;
  });
  const events = (await e2e.core.listNamespacedEvent({ namespace: NS })).items
    .filter((e) => ['Preempted', 'GangPreempted', 'Killing'].includes(e.reason ?? ''))
    .map((e) => `${e.reason} ${e.involvedObject?.name}: ${e.message}`);
  return `pods: ${pods.join('; ')} | events: ${events.join('; ')}`;
}

describe(`priority preemption through kube-scheduler (Kubernetes v${selectedK8sVersion()})`, () => {
  it('evicts the fewest lowest-priority pods on the node that truly frees 4 GPUs, counting fractional shares', async () => {
    const [a, b, c, d, e, f] = H100 as [string, string, string, string, string, string];
    // b: one 3-GPU pod plus two halves of its 4th device. The in-tree dry run counts only
    // nvidia.com/gpu and sees b as the cheapest (one victim), although the pod would still not fit.
    await place([pod('b-three', 'low', { gpus: 3, node: b })]);
    await place([
      pod('b-half-1', 'low', { fraction: '0.5', node: b }),
      pod('b-half-2', 'low', { fraction: '0.5', node: b }),
      ...[0, 1, 2, 3].map((i) => pod(`a-one-${i}`, 'low', { gpus: 1, node: a })),
      pod('c-two-0', 'low', { gpus: 2, node: c }),
      pod('c-two-1', 'low', { gpus: 2, node: c }),
      pod('d-mid', 'mid', { gpus: 4, node: d }),
      pod('e-guard', 'high', { gpus: 4, node: e }),
      pod('f-guard', 'high', { gpus: 4, node: f }),
    ]);
    const before = (await listPods()).map((p) => p.metadata?.name ?? '');

    const { node } = await preemptor('p1');
    expect(node).toBe(c);
    await waitFor('c-two-0 and c-two-1 gone', async () =>
      (await evicted(['c-two-0', 'c-two-1'])).length === 2 ? true : undefined,
    );
    const innocent = before.filter((n) => !n.startsWith('c-two'));
    expect(await evicted(innocent), await scene()).toEqual([]);
  });

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
