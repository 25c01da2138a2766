// Issue 18: Phalanx preempts for what kube-scheduler cannot — whole gangs and GPU shares — through the
// real control plane. Fabric (testbed/fabric/preemption.yaml): rack leaf-p1 has cliques c1 and c2 of
// 4 × 8-GPU nodes, rack leaf-p2 a clique c1 of 4 × 8-GPU nodes, a shares pool of two 4-GPU nodes the
// test taints (pool=shares:NoSchedule) and a CPU-only node. Everything is filled with low-priority
// batch work first, every occupant pinned so the right victims are known beforehand:
//  - p1-c1: gang batch-a, 4 × 8 GPUs, low — the one set whose eviction lets a 4 × 8 gang fit cheapest;
//  - p1-c2: gang batch-b, 3 × 8 GPUs, low, and one 8-GPU pod of mid priority — costlier;
//  - p2-c1: gang batch-d, 3 × 8 GPUs, low, and an 8-GPU pod another scheduler placed (bound directly
//    by nodeName) — never a victim, so that clique cannot be freed;
//  - shares node s0: eight low halves (one 0.5 share frees room on its device); s1: sixteen low
//    quarters (two must go for a 0.5 share).
// Then: a high 4 × 8-GPU gang evicts batch-a whole (nothing else) and binds in p1-c1 within 5 s of
// the eviction; a high 0.5-GPU pod evicts one half on s0 and binds there; with a PodDisruptionBudget
// protecting s0's halves, the next one evicts two quarters of one device on s1 instead; equal
// priorities never preempt. Timings (eviction → bound) are printed.
import {
  PatchStrategy,
  PolicyV1Api,
  SchedulingV1Api,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { CLIQUE_LABEL, nodeLabels } from '../../testbed/gang-checks.js';
import { GPU_DEVICES, parseGpuDevices, podEvents } from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';
import { useE2E } from './support/e2e-cluster.js';
import { demandAnnotations } from './support/preemption-scene.js';

const CLUSTER = 'phalanx-e2e-own-preemption';
const NS = 'batch';
const FABRIC = 'testbed/fabric/preemption.yaml';
const PRIORITY = { low: 100, mid: 500, high: 1000 } as const;
type Level = keyof typeof PRIORITY;
const TOPOLOGY_REQUIRED = 'phalanx.dev/topology-required';
const SHARES_TAINT = { key: 'pool', value: 'shares', effect: 'NoSchedule' } as const;
const S0 = 'leaf-p2-c2-n0';
const S1 = 'leaf-p2-c2-n1';
const nodesOf = (leaf: string, clique: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${leaf}-c${clique}-n${i}`);
const P1C1 = nodesOf('leaf-p1', 1, 4);
const P1C2 = nodesOf('leaf-p1', 2, 4);
const P2C1 = nodesOf('leaf-p2', 1, 4);
/**
 * From the last victim gone to every member of the preemptor bound: the 5 s, on both versions.
 * (Members that fail while victims terminate are answered "unschedulable", not an error, so each
 * victim's deletion retries them at once instead of after kube-scheduler's error backoff.)
 */
const BOUND_WITHIN_MS = 5_000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const e2e = useE2E(CLUSTER, { fabricFile: FABRIC, namespaces: [NS] });
let cliqueOf = new Map<string, string>();

interface PodOptions {
  readonly gpus?: number;
  readonly fraction?: string;
  readonly node?: string;
  readonly clique?: string;
  readonly gang?: { readonly name: string; readonly size: number };
  readonly shares?: boolean;
  readonly labels?: Record<string, string>;
  /** Bound directly, as another scheduler would (the webhook routes only default-scheduler pods). */
  readonly boundBy?: string;
}

function pod(name: string, level: Level, o: PodOptions): V1Pod {
  const annotations = {
    ...demandAnnotations(o),
    ...(o.gang === undefined ? {} : { [TOPOLOGY_REQUIRED]: CLIQUE_LABEL }),
  };
  const gpus = o.gpus === undefined ? {} : { 'nvidia.com/gpu': String(o.gpus) };
  const selector = {
    ...(o.node === undefined ? {} : { 'kubernetes.io/hostname': o.node }),
    ...(o.clique === undefined ? {} : { [CLIQUE_LABEL]: o.clique }),
  };
  return {
    metadata: { name, namespace: NS, labels: { level, ...(o.labels ?? {}) }, annotations },
    spec: {
      priorityClassName: `e2e-${level}`,
      terminationGracePeriodSeconds: 0,
      ...(Object.keys(selector).length > 0 ? { nodeSelector: selector } : {}),
      ...(o.shares ? { tolerations: [{ ...SHARES_TAINT, operator: 'Equal' }] } : {}),
      ...(o.boundBy ? { schedulerName: o.boundBy, nodeName: o.node } : {}),
      containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: gpus, limits: gpus } }],
    },
  };
}

const gang = (name: string, level: Level, size: number, clique?: string): V1Pod[] =>
  Array.from({ length: size }, (_, i) =>
    pod(`${name}-${i}`, level, { gpus: 8, gang: { name, size }, ...(clique ? { clique } : {}) }),
  );

/** Creates a pod; one left by an earlier attempt of the same test is kept. */
async function create(body: V1Pod): Promise<void> {
  try {
    await e2e.core.createNamespacedPod({ namespace: NS, body });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** Bound pods not being deleted: the ones no preemption may touch unless chosen. */
async function running(): Promise<string[]> {
  return (await listPods())
    .filter((p) => !!p.spec?.nodeName && p.metadata?.deletionTimestamp == null)
    .map((p) => p.metadata?.name ?? '');
}

/** Phalanx's own histogram of decision → preemptor bound: count and mean per kind. */
async function boundHistogram(): Promise<string> {
  const text = await (await fetch(`${e2e.phalanx.adminUrl}/metrics`)).text();
  const read = (series: string, kind: string): number =>
    Number(new RegExp(`^${series}\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
  return ['gang', 'share']
    .map((kind) => {
      const count = read('phalanx_preemption_bound_seconds_count', kind);
      const sum = read('phalanx_preemption_bound_seconds_sum', kind);
      return `${kind}: ${count} bound, mean ${(sum / count).toFixed(2)} s`;
    })
    .join('; ');
}

async function listPods(): Promise<V1Pod[]> {
  return (await e2e.core.listNamespacedPod({ namespace: NS })).items;
}

/** Creates the pods and waits until every one is bound; returns name → node. */
async function place(pods: readonly V1Pod[]): Promise<Map<string, string>> {
  for (const body of pods) await create(body);
  const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
  return waitFor(
    `${names.size} pod(s) bound`,
    async () => {
      const mine = (await listPods()).filter((p) => names.has(p.metadata?.name ?? ''));
      return mine.length === names.size && mine.every((p) => !!p.spec?.nodeName)
        ? new Map(mine.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? '']))
        : undefined;
    },
    { timeoutMs: 90_000, describe: scene },
  );
}

/**
 * vitest retries a failed e2e test once; a retry of the gang scene must preempt again, not find the
 * preemptor already bound and measure nothing. So the first attempt's preemptor gang is deleted and
 * batch-a placed again in p1-c1 (no-op on a first attempt).
 */
async function replayGangScene(): Promise<void> {
  const isServe = (p: V1Pod) => (p.metadata?.name ?? '').startsWith('serve-');
  const serving = (await listPods()).filter(isServe);
  if (serving.length === 0) return;
  for (const p of serving) {
    await e2e.core.deleteNamespacedPod({
      name: p.metadata?.name ?? '',
      namespace: NS,
      gracePeriodSeconds: 0,
    });
  }
  await waitFor(
    "the first attempt's preemptor gang and victims gone",
    async () =>
      (await listPods()).some(
        (p) =>
          isServe(p) || (BATCH_A.includes(p.metadata?.name ?? '') && p.metadata?.deletionTimestamp != null),
      )
        ? undefined
        : true,
    { timeoutMs: 60_000, describe: scene },
  );
  await place(gang('batch-a', 'low', 4, cliqueOf.get(P1C1[0] as string)));
}

/** Names among `names` that are gone or terminating. */
async function evicted(names: readonly string[]): Promise<string[]> {
  const alive = new Map((await listPods()).map((p) => [p.metadata?.name ?? '', p]));
  return names.filter((n) => {
    const p = alive.get(n);
    return p === undefined || p.metadata?.deletionTimestamp != null;
  });
}

async function scene(): Promise<string> {
  const pods = (await listPods()).map((p) => {
    const deleting = p.metadata?.deletionTimestamp != null ? ' deleting' : '';
    return `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}${deleting}`;
  });
  const events = (await e2e.core.listNamespacedEvent({ namespace: NS })).items
    .filter((e) => ['Preempting', 'PreemptedByPhalanx', 'NotPreempting'].includes(e.reason ?? ''))
    .map((e) => `${e.reason} ${e.involvedObject?.name}: ${e.message}`);
  return `pods: ${pods.join('; ')} | events: ${events.slice(-12).join('; ')}`;
}

interface Timeline {
  /** First victim seen evicted (terminating or gone). */
  readonly evictedAt: number;
  /** Last victim gone. */
  readonly goneAt: number;
  /** Every preemptor bound. */
  readonly boundAt: number;
  readonly nodes: Map<string, string>;
}

/** Polls until the victims are gone and the preemptors bound, timestamping each step. */
async function watchPreemption(victims: readonly string[], preemptors: readonly string[]): Promise<Timeline> {
  let evictedAt: number | undefined;
  let goneAt: number | undefined;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const pods = await listPods();
    const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
    const now = Date.now();
    const gone = victims.filter((v) => !byName.has(v));
    if (
      evictedAt === undefined &&
      victims.some((v) => !byName.has(v) || byName.get(v)?.metadata?.deletionTimestamp != null)
    )
      evictedAt = now;
    if (goneAt === undefined && gone.length === victims.length) goneAt = now;
    const bound = preemptors.filter((n) => !!byName.get(n)?.spec?.nodeName);
    if (bound.length === preemptors.length && evictedAt !== undefined) {
      return {
        evictedAt,
        goneAt: goneAt ?? now,
        boundAt: now,
        nodes: new Map(preemptors.map((n) => [n, byName.get(n)?.spec?.nodeName ?? ''])),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`preemption did not complete: ${await scene()}`);
}

function report(what: string, t: Timeline): void {
  process.stderr.write(
    `[e2e] ${CLUSTER} (v${selectedK8sVersion()}): ${what}: eviction → victims gone ${((t.goneAt - t.evictedAt) / 1000).toFixed(2)} s, ` +
      `victims gone → bound ${((t.boundAt - t.goneAt) / 1000).toFixed(2)} s, eviction → bound ${((t.boundAt - t.evictedAt) / 1000).toFixed(2)} s\n`,
  );
}

function created(what: string, t0: number, t: Timeline): void {
  process.stderr.write(
    `[e2e] ${CLUSTER} (v${selectedK8sVersion()}): ${what}: created → bound (victims evicted on the way) ${((t.boundAt - t0) / 1000).toFixed(2)} s\n`,
  );
}

const BATCH_A = gang('batch-a', 'low', 4).map((p) => p.metadata?.name ?? '');
const HALVES = Array.from({ length: 8 }, (_, i) => `half-${i}`);
const QUARTERS = Array.from({ length: 16 }, (_, i) => `quarter-${i}`);

beforeAll(async () => {
  const scheduling = e2e.kc.makeApiClient(SchedulingV1Api);
  for (const [level, value] of Object.entries(PRIORITY)) {
    await scheduling.createPriorityClass({
      body: { metadata: { name: `e2e-${level}` }, value, preemptionPolicy: 'PreemptLowerPriority' },
    });
  }
  // High, but never preempting: the API server copies it into the pod's spec.preemptionPolicy.
  await scheduling.createPriorityClass({
    body: { metadata: { name: 'e2e-high-never' }, value: PRIORITY.high, preemptionPolicy: 'Never' },
  });
  for (const name of [S0, S1]) {
    await e2e.core.patchNode({ name, body: { spec: { taints: [SHARES_TAINT] } } }, mergePatch);
  }
  const labels = await nodeLabels(e2e.core);
  cliqueOf = new Map([...labels].map(([n, l]) => [n, l[CLIQUE_LABEL] ?? '']));
  const c = (node: string) => cliqueOf.get(node) ?? '';
  // One at a time: each gang fills what its selector allows, in this order.
  await place(gang('batch-a', 'low', 4, c(P1C1[0] as string)));
  await place(gang('batch-b', 'low', 3, c(P1C2[0] as string)));
  await place([pod('mid-guard', 'mid', { gpus: 8, clique: c(P1C2[0] as string) })]);
  await place([pod('outsider', 'low', { gpus: 8, node: P2C1[3] as string, boundBy: 'other-scheduler' })]);
  await place(gang('batch-d', 'low', 3, c(P2C1[0] as string)));
  await place(
    HALVES.map((n) => pod(n, 'low', { fraction: '0.5', node: S0, shares: true, labels: { app: 'halves' } })),
  );
  await place(QUARTERS.map((n) => pod(n, 'low', { fraction: '0.25', node: S1, shares: true })));
}, 300_000);

describe(`Phalanx's own preemption of gangs and GPU shares (Kubernetes v${selectedK8sVersion()})`, () => {
  it('evicts one low-priority gang whole for a high 4 × 8-GPU gang, which binds in one clique within 5 s', async () => {
    await replayGangScene();
    const bystanders = (await running()).filter((n) => !BATCH_A.includes(n));
    const preemptors = gang('serve', 'high', 4);
    for (const body of preemptors) await create(body);
    const names = preemptors.map((p) => p.metadata?.name ?? '');
    const t = await watchPreemption(BATCH_A, names);
    report('4 × 8-GPU gang', t);
    expect(await evicted(BATCH_A), await scene()).toEqual(BATCH_A);
    const cliques = new Set([...t.nodes.values()].map((n) => cliqueOf.get(n)));
    expect(cliques.size, await scene()).toBe(1);
    expect([...t.nodes.values()].sort()).toEqual([...P1C1].sort());
    expect(t.boundAt - t.goneAt).toBeLessThanOrEqual(BOUND_WITHIN_MS);
    const violation = await firstViolationWithin(3_000, async () => {
      const gone = await evicted(bystanders);
      return gone.length > 0 ? `evicted: ${gone.join(', ')}` : undefined;
    });
    expect(violation, await scene()).toBeUndefined();
    // Each side is named to the other.
    const preempting = (await podEvents(e2e.core, NS, 'serve-0')).filter((e) => e.reason === 'Preempting');
    expect(preempting[0]?.message).toMatch(/gang batch\/batch-a, whole/);
    const victimEvents = (await e2e.core.listNamespacedEvent({ namespace: NS })).items.filter(
      (e) => e.reason === 'PreemptedByPhalanx' && BATCH_A.includes(e.involvedObject?.name ?? ''),
    );
    expect(victimEvents.map((e) => e.involvedObject?.name).sort()).toEqual(BATCH_A);
    expect(victimEvents.every((e) => /gang batch\/serve \(priority 1000\)/.test(e.message ?? ''))).toBe(true);
  });

  it('evicts the fewest low shares on one device for a high 0.5-GPU pod, which binds there', async () => {
    const bystanders = await running();
    const t0 = Date.now();
    await create(pod('hi-half-1', 'high', { fraction: '0.5', shares: true }));
    const victims = await waitFor(
      'a share evicted',
      async () => {
        const gone = await evicted(bystanders);
        return gone.length > 0 ? gone : undefined;
      },
      { timeoutMs: 45_000, describe: scene },
    );
    const t = await watchPreemption(victims, ['hi-half-1']);
    created('0.5-GPU pod', t0, t);
    expect(t.nodes.get('hi-half-1')).toBe(S0);
    const violation = await firstViolationWithin(2_000, async () => {
      const gone = await evicted(bystanders);
      return gone.length === 1 && /^half-/.test(gone[0] ?? '') ? undefined : `evicted: ${gone.join(', ')}`;
    });
    expect(violation, await scene()).toBeUndefined();
  });

  it('moves the preemption elsewhere when a PodDisruptionBudget forbids the cheapest choice', async () => {
    const policy = e2e.kc.makeApiClient(PolicyV1Api);
    const halves = (await running()).filter((n) => HALVES.includes(n));
    // Bare pods have no controller scale: a budget over them must state minAvailable as a number.
    await policy
      .createNamespacedPodDisruptionBudget({
        namespace: NS,
        body: {
          metadata: { name: 'halves', namespace: NS },
          spec: { selector: { matchLabels: { app: 'halves' } }, minAvailable: halves.length },
        },
      })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 409) throw err;
      });
    await waitFor('the budget computed', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ name: 'halves', namespace: NS });
      return pdb.status?.expectedPods === halves.length && pdb.status?.disruptionsAllowed === 0
        ? true
        : undefined;
    });
    const bystanders = await running();
    const before = (await listPods()).filter((p) => QUARTERS.includes(p.metadata?.name ?? ''));
    const t0 = Date.now();
    await create(pod('hi-half-2', 'high', { fraction: '0.5', shares: true }));
    const victims = await waitFor(
      'two shares evicted',
      async () => {
        const gone = await evicted(bystanders);
        return gone.length >= 2 ? gone : undefined;
      },
      { timeoutMs: 45_000, describe: scene },
    );
    const t = await watchPreemption(victims, ['hi-half-2']);
    created('0.5-GPU pod, budget elsewhere', t0, t);
    expect(t.nodes.get('hi-half-2')).toBe(S1);
    const gone = await evicted(bystanders);
    expect(
      gone.every((n) => QUARTERS.includes(n)),
      await scene(),
    ).toBe(true);
    expect(gone).toHaveLength(2);
    const devices = new Set(
      before
        .filter((p) => gone.includes(p.metadata?.name ?? ''))
        .map((p) => parseGpuDevices(p.metadata?.annotations?.[GPU_DEVICES] ?? '')[0]?.index),
    );
    expect(devices.size).toBe(1);
  });

  it('never preempts for pods of equal priority, nor for a pod whose preemptionPolicy is Never', async () => {
    const bystanders = await running();
    await create(pod('eq-half', 'low', { fraction: '0.5', shares: true }));
    for (const body of gang('eq-gang', 'low', 2)) await create(body);
    const never = pod('eq-never-half', 'high', { fraction: '0.5', shares: true });
    await create({ ...never, spec: { ...never.spec!, priorityClassName: 'e2e-high-never' } });
    const violation = await firstViolationWithin(8_000, async () => {
      const gone = await evicted(bystanders);
      if (gone.length > 0) return `evicted: ${gone.join(', ')}`;
      const bound = (await listPods()).filter((p) => p.metadata?.name?.startsWith('eq-') && p.spec?.nodeName);
      return bound.length > 0 ? `bound: ${bound.map((p) => p.metadata?.name).join(', ')}` : undefined;
    });
    expect(violation, await scene()).toBeUndefined();
    const events = await podEvents(e2e.core, NS, 'eq-half');
    expect(
      events.some((e) => e.reason === 'NotPreempting'),
      events.map((e) => e.message).join(' | '),
    ).toBe(true);
    const neverEvents = await podEvents(e2e.core, NS, 'eq-never-half');
    expect(
      neverEvents.some(
        (e) => e.reason === 'NotPreempting' && /preemptionPolicy is Never/.test(e.message ?? ''),
      ),
      neverEvents.map((e) => e.message).join(' | '),
    ).toBe(true);
    process.stderr.write(
      `[e2e] ${CLUSTER}: Phalanx's decision → bound histogram: ${await boundHistogram()}\n`,
    );
  });

  it('frees room only beside a gang member already bound, never evicting that member', async () => {
    // A leader started first (LeaderWorkerSet): bound straight to the node the other scheduler's pod
    // leaves, in the clique batch-d fills. Another clique is as cheap to free (batch-b), but the
    // worker can only join the leader.
    // The pending pods of the test before would take the freed node first: they go before it frees.
    const gone = async (names: readonly string[]): Promise<void> => {
      for (const name of names) {
        await e2e.core
          .deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 })
          .catch((err: unknown) => {
            if ((err as { code?: number }).code !== 404) throw err;
          });
      }
      await waitFor(`${names.join(', ')} gone`, async () =>
        (await listPods()).some((p) => names.includes(p.metadata?.name ?? '')) ? undefined : true,
      );
    };
    await gone(['eq-half', 'eq-never-half', 'eq-gang-0', 'eq-gang-1']);
    await gone(['outsider']);
    const leaderNode = P2C1[3] as string;
    const [leader, worker] = gang('lws', 'high', 2) as [V1Pod, V1Pod];
    await create({ ...leader, spec: { ...leader.spec!, nodeName: leaderNode } });
    const batchD = gang('batch-d', 'low', 3).map((p) => p.metadata?.name ?? '');
    const bystanders = (await running()).filter((n) => !batchD.includes(n) && n !== 'lws-0');
    await create(worker);
    let nominated: string | undefined;
    const bound = await waitFor(
      'the worker bound',
      async () => {
        const w = (await listPods()).find((p) => p.metadata?.name === 'lws-1');
        nominated ??= w?.status?.nominatedNodeName ?? undefined;
        return w?.spec?.nodeName || undefined;
      },
      { timeoutMs: 90_000, describe: scene },
    );
    expect(cliqueOf.get(bound), await scene()).toBe(cliqueOf.get(leaderNode));
    if (nominated !== undefined) expect(cliqueOf.get(nominated)).toBe(cliqueOf.get(leaderNode));
    expect(await evicted(batchD), await scene()).toEqual(batchD);
    const leaderNow = (await listPods()).find((p) => p.metadata?.name === 'lws-0');
    expect(leaderNow?.spec?.nodeName).toBe(leaderNode);
    expect(leaderNow?.metadata?.deletionTimestamp ?? undefined).toBeUndefined();
    expect(await evicted(bystanders), await scene()).toEqual([]);
    const preempting = (await podEvents(e2e.core, NS, 'lws-1')).filter((e) => e.reason === 'Preempting');
    expect(preempting[0]?.message).toMatch(/gang batch\/batch-d, whole/);
    process.stderr.write(
      `[e2e] ${CLUSTER}: worker of a bound leader: bound on ${bound}, nominated ${nominated ?? '(not seen)'}\n`,
    );
  });
});
