// Gangs in a cluster of node pools, through the real kube-scheduler and Phalanx: each member's node
// rules (nodeSelector, taints/tolerations, cordon, host CPU taken by a pod Phalanx did not place)
// decide where the gang is planned, a gang its rules leave no room for waits whole with an Event
// that names the scope and what excluded the rest, and members that disagree are explained, not
// planned round and round.
// Fabric (testbed/fabric/pools.yaml): 2 racks × 2 cliques × 3 nodes × 8 GPUs. The test makes rack
// leaf-r1 pool a (one node cordoned, one node's CPU taken by a pod bound to it directly) and rack
// leaf-r2 pool b (tainted pool=b:NoSchedule), as an admin would through the API: every clique of
// pool a keeps exactly 2 usable nodes.
import { PatchStrategy, setHeaderOptions, type V1Pod, type V1Toleration } from '@kubernetes/client-node';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { CORDONED, CPU_FULL, POOL, POOL_A_USABLE, POOLS_FABRIC, setUpPools } from './support/pool-setup.js';
import {
  CLIQUE_LABEL,
  domainsOf,
  eventCount,
  failedSchedulingMessages,
  gangEvents,
  nodeLabels,
} from '../../testbed/gang-checks.js';
import {
  fetchLedger,
  isBound,
  PLACEMENT_LEVEL,
  podsWithLabel,
  waitForEmptyLedger,
} from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { gangPod } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-pools';
const NS = 'pools';
const LEAF_LABEL = 'network.topology.nvidia.com/leaf';
const TOPOLOGY_REQUIRED = 'phalanx.dev/topology-required';
/** How long a waiting gang is watched for any member being bound. */
const HOLD_MS = 6_000;
const GPUS = 8;
/**
 * How soon a gang is explained when a member that disagrees is created just after the first member
 * was planned: the late member fits no slot of the plan made from the first member's template, so
 * the gang is planned again from its real members at once (well before the 25 s bind barrier).
 */
const LATE_MEMBER_EXPLAINED_WITHIN_MS = 20_000;

const TOLERATE_POOL_B: V1Toleration = { key: POOL, operator: 'Equal', value: 'b', effect: 'NoSchedule' };

const e2e = useE2E(CLUSTER, { namespaces: [NS], fabricFile: POOLS_FABRIC });
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The admin's work: pools by label, pool b tainted, one pool-a node cordoned, another's CPU taken. */
beforeAll(async () => {
  await setUpPools(e2e.core, NS);
  const labels = await nodeLabels(e2e.core);
  expect([...labels.values()].filter((l) => l[POOL] === 'a')).toHaveLength(6);
  expect([...labels.values()].filter((l) => l[POOL] === 'b')).toHaveLength(6);
});

/** Each scenario starts from an empty ledger (the previous one's pods are gone). */
beforeEach(() => waitForEmptyLedger(e2e.phalanx.adminUrl));

/** Every gang pod goes after each scenario, passed or failed (a retry starts clean). */
afterEach(async () => {
  await deleteGang();
});

interface MemberRules {
  readonly selector?: Record<string, string>;
  readonly tolerations?: V1Toleration[];
  /** Default: one NVLink clique. */
  readonly level?: string;
}

/** A gang member with 8 GPUs and 1 CPU, its level required, and the given node rules. */
function member(name: string, group: string, size: number, rules: MemberRules): V1Pod {
  const pod = gangPod(name, NS, group, size, GPUS);
  const annotations = { ...pod.metadata?.annotations, [TOPOLOGY_REQUIRED]: rules.level ?? CLIQUE_LABEL };
  const containers = (pod.spec?.containers ?? []).map((c) => ({
    ...c,
    resources: { ...c.resources, requests: { ...c.resources?.requests, cpu: '1', memory: '1Gi' } },
  }));
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations },
    spec: {
      ...pod.spec,
      containers,
      ...(rules.selector ? { nodeSelector: rules.selector } : {}),
      ...(rules.tolerations ? { tolerations: rules.tolerations } : {}),
    },
  };
}

function members(group: string, size: number, rules: MemberRules): V1Pod[] {
  return Array.from({ length: size }, (_, i) => member(`${group}-${i}`, group, size, rules));
}

async function createPods(pods: readonly V1Pod[]): Promise<void> {
  for (const body of pods) await e2e.core.createNamespacedPod({ namespace: NS, body });
}

async function deleteGang(group?: string): Promise<void> {
  const selector = group === undefined ? 'gang' : `gang=${group}`;
  await e2e.core.deleteCollectionNamespacedPod({
    namespace: NS,
    labelSelector: selector,
    gracePeriodSeconds: 0,
  });
  await waitFor(`pods ${selector} gone`, async () =>
    (await podsWithLabel(e2e.core, NS, selector)).length === 0 ? true : undefined,
  );
}

/** Waits until every member of the gang is bound; the failure says where each member stands. */
async function boundGang(group: string, size: number): Promise<V1Pod[]> {
  return waitFor(
    `${size} bound members of ${group}`,
    async () => {
      const pods = await podsWithLabel(e2e.core, NS, `gang=${group}`);
      return pods.length === size && pods.every(isBound) ? pods : undefined;
    },
    {
      timeoutMs: 90_000,
      describe: async () => {
        const pods = await podsWithLabel(e2e.core, NS, `gang=${group}`);
        return pods
          .map((p) => {
            const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
            return `${p.metadata?.name}: ${p.spec?.nodeName ?? `pending (${scheduled?.message ?? '-'})`}`;
          })
          .join('; ');
      },
    },
  );
}

/**
 * Nothing waited on a node it cannot use: no member was told by the scheduler that its planned node
 * "was not offered", and once the gang is bound none stays Pending.
 */
async function expectNoWaitOnRefusedNode(group: string, size: number): Promise<void> {
  const pods = await podsWithLabel(e2e.core, NS, `gang=${group}`);
  expect(pods.filter((p) => !isBound(p)).map((p) => p.metadata?.name)).toEqual([]);
  expect(pods).toHaveLength(size);
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const waits = (await failedSchedulingMessages(e2e.core, NS, name)).filter((m) =>
      m.includes('which was not offered'),
    );
    expect(waits, name).toEqual([]);
  }
}

/** Watches a gang that must wait whole: the first member seen bound, or undefined. */
function anyBound(group: string): () => Promise<string | undefined> {
  return async () => {
    const bound = (await podsWithLabel(e2e.core, NS, `gang=${group}`)).filter(isBound);
    return bound.length > 0
      ? `bound: ${bound.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`).join(', ')}`
      : undefined;
  };
}

describe(`gangs in a cluster of node pools (Kubernetes v${selectedK8sVersion()})`, () => {
  it('places a gang selecting pool a in one clique of pool a, never on the cordoned or CPU-full node', async () => {
    await createPods(members('ga', 2, { selector: { [POOL]: 'a' } }));
    const pods = await boundGang('ga', 2);
    const labels = await nodeLabels(e2e.core);
    const nodes = pods.map((p) => p.spec?.nodeName ?? '');
    expect(domainsOf(pods, labels, POOL)).toEqual(['a']);
    expect(domainsOf(pods, labels, CLIQUE_LABEL)).toHaveLength(1);
    expect(nodes).not.toContain(CORDONED);
    expect(nodes).not.toContain(CPU_FULL);
    expect(new Set(nodes).size).toBe(2);
    for (const pod of pods) expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL]).toBe(CLIQUE_LABEL);
    await expectNoWaitOnRefusedNode('ga', 2);
  });

  it('places a gang selecting and tolerating pool b in one clique of pool b', async () => {
    await createPods(members('gb', 3, { selector: { [POOL]: 'b' }, tolerations: [TOLERATE_POOL_B] }));
    const pods = await boundGang('gb', 3);
    const labels = await nodeLabels(e2e.core);
    expect(domainsOf(pods, labels, POOL)).toEqual(['b']);
    expect(domainsOf(pods, labels, CLIQUE_LABEL)).toHaveLength(1);
    for (const pod of pods) expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL]).toBe(CLIQUE_LABEL);
    await expectNoWaitOnRefusedNode('gb', 3);
  });

  it('keeps a gang with no selector and no toleration off tainted pool b: 4 × 8 GPUs fill the 4 usable nodes of pool a', async () => {
    // One rack required: pool b's rack has 6 free nodes, pool a's only these 4 usable ones.
    await createPods(members('free', 4, { level: LEAF_LABEL }));
    const pods = await boundGang('free', 4);
    const labels = await nodeLabels(e2e.core);
    expect(domainsOf(pods, labels, POOL)).toEqual(['a']);
    expect(pods.map((p) => p.spec?.nodeName ?? '').sort()).toEqual(POOL_A_USABLE);
    for (const pod of pods) expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL]).toBe(LEAF_LABEL);
    await expectNoWaitOnRefusedNode('free', 4);
  });

  it('leaves a gang its own rules make impossible (3 × 8 GPUs in one clique of pool a) unbound, with an Event naming the scope and the exclusions', async () => {
    await createPods(members('big', 3, { selector: { [POOL]: 'a' } }));
    const messages = await waitFor('a GangUnschedulable event on big-0', async () => {
      const found = await gangEvents(e2e.core, NS, 'big-0');
      return found.length > 0 ? found : undefined;
    });
    const message = messages.join('\n');
    expect(message).toMatch(
      /needs 3 pods × 8 GPUs within one nvidia\.com\/gpu\.clique domain among nodes matching pool=a/,
    );
    expect(message).toMatch(/has room for 2\b/);
    // Pool b by its taint (or the selector), the cordoned node by its cordon, the CPU-full node by
    // its CPU (or as not offered: kube-scheduler refused it), each with its node count.
    expect(message).toMatch(
      /excluded: .*6 node\(s\): node\(s\) (had untolerated taint \{pool: b\}|didn't match Pod's node affinity\/selector)/,
    );
    expect(message).toMatch(/1 node\(s\): node is cordoned/);
    expect(message).toMatch(/1 node\(s\): (Insufficient cpu|not offered by the scheduler for this member)/);
    expect(await firstViolationWithin(HOLD_MS, anyBound('big'))).toBeUndefined();
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.usedMilli).toBe(0);
  });

  it('explains a gang whose members disagree (pool a vs pool b, one clique) instead of re-planning it in a loop', async () => {
    // Both members exist before either is scheduled (held by a scheduling gate, lifted together).
    const gate = [{ name: 'e2e.phalanx.dev/hold' }];
    const pods = [
      member('mix-0', 'mix', 2, { selector: { [POOL]: 'a' } }),
      member('mix-1', 'mix', 2, { selector: { [POOL]: 'b' }, tolerations: [TOLERATE_POOL_B] }),
    ].map((p) => ({ ...p, spec: { ...p.spec, schedulingGates: gate } }) as V1Pod);
    await createPods(pods);
    for (const p of pods) {
      await e2e.core.patchNamespacedPod(
        { name: p.metadata?.name ?? '', namespace: NS, body: { spec: { schedulingGates: [] } } },
        mergePatch,
      );
    }
    await expectExplainedNotLooped('mix', 20_000);
  });

  it('explains members that disagree when the second is created just after the first (as controllers do)', async () => {
    await createPods([
      member('late-0', 'late', 2, { selector: { [POOL]: 'a' } }),
      member('late-1', 'late', 2, { selector: { [POOL]: 'b' }, tolerations: [TOLERATE_POOL_B] }),
    ]);
    await expectExplainedNotLooped('late', LATE_MEMBER_EXPLAINED_WITHIN_MS);
  });
});

/**
 * Within `withinMs` a GangUnschedulable Event explains the 2-member gang; then for 20 s no member
 * binds and its pods carry at most 3 GangReplanned Events in all.
 */
async function expectExplainedNotLooped(group: string, withinMs: number): Promise<void> {
  const names = [`${group}-0`, `${group}-1`];
  const t0 = Date.now();
  const explained = await waitFor(
    `a GangUnschedulable event on a member of ${group}`,
    async () => {
      const found = (await Promise.all(names.map((n) => gangEvents(e2e.core, NS, n)))).flat();
      return found.length > 0 ? found : undefined;
    },
    {
      timeoutMs: withinMs,
      describe: async () =>
        (await Promise.all(names.map((n) => failedSchedulingMessages(e2e.core, NS, n)))).flat().join(' | '),
    },
  );
  process.stderr.write(`[e2e] ${group}: explained after ${Date.now() - t0} ms\n`);
  const message = explained.join('\n');
  expect(message).toMatch(
    new RegExp(`group ${group} needs 2 pods × 8 GPUs within one nvidia\\.com/gpu\\.clique domain`),
  );
  expect(message).toMatch(/has room for 1\b/);
  const replans = async () => {
    const counts = await Promise.all(names.map((n) => eventCount(e2e.core, NS, n, 'GangReplanned')));
    return counts.reduce((a, b) => a + b, 0);
  };
  const violation = await firstViolationWithin(20_000, async () => {
    const bound = await anyBound(group)();
    if (bound !== undefined) return bound;
    const n = await replans();
    return n > 3 ? `${n} GangReplanned events` : undefined;
  });
  expect(violation).toBeUndefined();
  expect(await replans()).toBeLessThanOrEqual(3);
}
