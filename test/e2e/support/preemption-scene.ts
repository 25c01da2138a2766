// Priority preemption scenes on the small fabric (support/small-fabric.ts), for the e2e files that
// preempt through kube-scheduler: pods pinned by hostname build each node's occupancy explicitly, so
// the right victims are known beforehand; a preemptor asks for 4 whole GPUs at high priority.
import { SchedulingV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { E2E } from '../../../testbed/environment.js';
import { fetchLedger, isBound, podEvents } from '../../../testbed/observe.js';
import { waitFor } from '../../../testbed/wait.js';
import { GPU_FRACTION, GROUP_SIZE, PAUSE_IMAGE, POD_GROUP } from '../../../testbed/workloads.js';
import { SMALL_H100_NODES } from './small-fabric.js';

export const PRIORITY = { low: 100, mid: 500, high: 1000 } as const;
export type Level = keyof typeof PRIORITY;

export interface PodOptions {
  readonly gpus?: number;
  readonly fraction?: string;
  readonly node?: string;
  readonly gang?: { readonly name: string; readonly size: number };
}

export interface PreemptionScene {
  readonly pod: (name: string, level: Level, o: PodOptions) => V1Pod;
  readonly listPods: () => Promise<V1Pod[]>;
  /** Creates the pods and waits until every one is bound; returns name → node. */
  readonly place: (pods: readonly V1Pod[]) => Promise<Map<string, string>>;
  /** Creates a 4-GPU high-priority preemptor and waits until it is bound; prints the time it took. */
  readonly preemptor: (name: string) => Promise<{ node: string; seconds: number }>;
  /** Names of the pods that are gone or being deleted, among `names`. */
  readonly evicted: (names: readonly string[]) => Promise<string[]>;
  /** The namespace's pods and preemption Events, for failure messages. */
  readonly scene: () => Promise<string>;
  /** The PriorityClasses e2e-low, e2e-mid and e2e-high (once per cluster). */
  readonly createPriorityClasses: () => Promise<void>;
  /** Deletes the namespace's pods and waits until Phalanx's ledger is empty. */
  readonly clear: () => Promise<void>;
}

/** The Phalanx annotations of a test pod: its GPU fraction and its gang, if any. */
export function demandAnnotations(o: Pick<PodOptions, 'fraction' | 'gang'>): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (o.fraction !== undefined) annotations[GPU_FRACTION] = o.fraction;
  if (o.gang !== undefined) {
    annotations[POD_GROUP] = o.gang.name;
    annotations[GROUP_SIZE] = String(o.gang.size);
  }
  return annotations;
}

/** The scene's helpers over `e2e` (read when called: it is filled in by the file's beforeAll). */
export function preemptionScene(e2e: E2E, namespace: string, cluster: string): PreemptionScene {
  const listPods = async (): Promise<V1Pod[]> => (await e2e.core.listNamespacedPod({ namespace })).items;

  function pod(name: string, level: Level, o: PodOptions): V1Pod {
    const annotations = demandAnnotations(o);
    const gpus = o.gpus === undefined ? {} : { 'nvidia.com/gpu': String(o.gpus) };
    return {
      metadata: { name, namespace, labels: { level }, annotations },
      spec: {
        priorityClassName: `e2e-${level}`,
        terminationGracePeriodSeconds: 0,
        ...(o.node === undefined ? {} : { nodeSelector: { 'kubernetes.io/hostname': o.node } }),
        containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: gpus, limits: gpus } }],
      },
    };
  }

  async function place(pods: readonly V1Pod[]): Promise<Map<string, string>> {
    for (const body of pods) await e2e.core.createNamespacedPod({ namespace, body });
    const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
    return waitFor(`${[...names].join(', ')} bound`, async () => {
      const mine = (await listPods()).filter((p) => names.has(p.metadata?.name ?? ''));
      return mine.length === names.size && mine.every(isBound)
        ? new Map(mine.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? '']))
        : undefined;
    });
  }

  async function preemptor(name: string): Promise<{ node: string; seconds: number }> {
    const t0 = Date.now();
    await e2e.core.createNamespacedPod({ namespace, body: pod(name, 'high', { gpus: 4 }) });
    const node = await waitFor(
      `${name} bound`,
      async () => {
        const found = (await listPods()).find((p) => p.metadata?.name === name);
        return found?.spec?.nodeName || undefined;
      },
      {
        timeoutMs: 45_000,
        describe: async () => (await podEvents(e2e.core, namespace, name)).map((e) => e.message).join(' | '),
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write(
      `[e2e] ${cluster}: preemptor ${name} bound on ${node} ${seconds.toFixed(1)} s after creation\n`,
    );
    return { node, seconds };
  }

  async function evicted(names: readonly string[]): Promise<string[]> {
    const alive = new Map((await listPods()).map((p) => [p.metadata?.name ?? '', p]));
    return names.filter((n) => {
      const p = alive.get(n);
      return p === undefined || p.metadata?.deletionTimestamp != null || p.status?.phase === 'Failed';
    });
  }

  async function scene(): Promise<string> {
    const pods = (await listPods()).map((p) => {
      const mark = p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason;
      const deleting = p.metadata?.deletionTimestamp != null ? ' deleting' : '';
      return `${p.metadata?.name}@${p.spec?.nodeName ?? '-'} ${p.status?.phase}${deleting}${mark ? ` ${mark}` : ''}`;
    });
    const events = (await e2e.core.listNamespacedEvent({ namespace })).items
      .filter((e) => ['Preempted', 'GangPreempted', 'Killing'].includes(e.reason ?? ''))
      .map((e) => `${e.reason} ${e.involvedObject?.name}: ${e.message}`);
    return `pods: ${pods.join('; ')} | events: ${events.join('; ')}`;
  }

  async function createPriorityClasses(): Promise<void> {
    const scheduling = e2e.kc.makeApiClient(SchedulingV1Api);
    for (const [level, value] of Object.entries(PRIORITY)) {
      await scheduling.createPriorityClass({
        body: { metadata: { name: `e2e-${level}` }, value, preemptionPolicy: 'PreemptLowerPriority' },
      });
    }
  }

  async function clear(): Promise<void> {
    await e2e.core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
    await waitFor(
      'no pods and an empty ledger',
      async () => {
        const pods = await listPods();
        const ledger = await fetchLedger(e2e.phalanx.adminUrl);
        return pods.length === 0 && ledger.totals.usedMilli === 0 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }

  return { pod, listPods, place, preemptor, evicted, scene, createPriorityClasses, clear };
}

/**
 * A fractional pair on a device the in-tree dry run thinks free: Phalanx counts it, and the node
 * that truly needs the fewest lowest-priority evictions wins; no other pod is evicted.
 */
export async function fewestVictimsScene(s: PreemptionScene): Promise<void> {
  const [a, b, c, d, e, f] = SMALL_H100_NODES as [string, string, string, string, string, string];
  // b: one 3-GPU pod plus two halves of its 4th device. The in-tree dry run counts only
  // nvidia.com/gpu and sees b as the cheapest (one victim), although the pod would still not fit.
  await s.place([s.pod('b-three', 'low', { gpus: 3, node: b })]);
  await s.place([
    s.pod('b-half-1', 'low', { fraction: '0.5', node: b }),
    s.pod('b-half-2', 'low', { fraction: '0.5', node: b }),
    ...[0, 1, 2, 3].map((i) => s.pod(`a-one-${i}`, 'low', { gpus: 1, node: a })),
    s.pod('c-two-0', 'low', { gpus: 2, node: c }),
    s.pod('c-two-1', 'low', { gpus: 2, node: c }),
    s.pod('d-mid', 'mid', { gpus: 4, node: d }),
    s.pod('e-guard', 'high', { gpus: 4, node: e }),
    s.pod('f-guard', 'high', { gpus: 4, node: f }),
  ]);
  const before = (await s.listPods()).map((p) => p.metadata?.name ?? '');

  const { node } = await s.preemptor('p1');
  expect(node, await s.scene()).toBe(c);
  await waitFor('c-two-0 and c-two-1 gone', async () =>
    (await s.evicted(['c-two-0', 'c-two-1'])).length === 2 ? true : undefined,
  );
  const innocent = before.filter((n) => !n.startsWith('c-two'));
  expect(await s.evicted(innocent), await s.scene()).toEqual([]);
}
