// LeaderWorkerSet groups the way the LWS controller creates them, through the real kube-scheduler and
// Phalanx. The LWS CRD and controller are not installed; the test plays the controller's part:
// - the leader comes from a StatefulSet `<lws>` of one replica (the controller's leader StatefulSet)
//   whose pod carries what the controller and the LWS pod webhook put on a leader: name,
//   worker-index 0, group-index, group-key, revision hash, and the size annotation;
// - the workers `<lws>-0-1..` carry the worker labels (worker-index included) and the size and
//   leader-name annotations; they are created as pods, since a StatefulSet cannot give each pod its
//   own worker-index (the LWS webhook adds it at admission; see lwsWorkerPods);
// - startupPolicy LeaderCreated: workers are created as soon as the leader pod exists;
//   LeaderReady: only once the leader pod is Ready (the controller's check), so the leader must be
//   placed alone, first, with its workers' room held next to it.
// Fabric: the e2e fabric, 8 nodes × 8 GPUs, cliques of 2 nodes (16 GPUs): a group of 4 × 4 GPUs
// fills one clique exactly.
import type { V1Pod } from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { CLIQUE_LABEL, domainsOf, failedSchedulingMessages, nodeLabels } from '../../testbed/gang-checks.js';
import {
  isBound,
  isRunning,
  PLACEMENT_LEVEL,
  podsWithLabel,
  waitForEmptyLedger,
} from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { LWS, lwsLeaderStatefulSet, lwsWorkerPods, PAUSE_IMAGE } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-lws';
const NS = 'lws';
const SIZE = 4;
const GPUS = 4;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

/** Each scenario starts from an empty ledger (the previous one's pods are gone). */
beforeEach(() => waitForEmptyLedger(e2e.phalanx.adminUrl));

const isReady = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function groupPods(lws: string): Promise<V1Pod[]> {
  return podsWithLabel(e2e.core, NS, `${LWS.name}=${lws}`);
}

async function workersOf(lws: string): Promise<V1Pod[]> {
  return (await groupPods(lws)).filter((p) => p.metadata?.labels?.[LWS.workerIndex] !== '0');
}

/** Where each pod of the group stands, for failure messages. */
async function describeGroup(lws: string): Promise<string> {
  return (await groupPods(lws))
    .map((p) => {
      const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return `${p.metadata?.name}: ${p.spec?.nodeName ?? `pending (${scheduled?.message ?? '-'})`}`;
    })
    .join('; ');
}

/** The leader pod once the leader StatefulSet's controller has created it. */
async function leaderCreated(lws: string): Promise<V1Pod> {
  return waitFor(`leader pod ${lws}-0 created`, async () => {
    const pod = await e2e.core.readNamespacedPod({ name: `${lws}-0`, namespace: NS });
    return pod.metadata?.uid ? pod : undefined;
  });
}

async function createWorkers(leader: V1Pod): Promise<void> {
  for (const body of lwsWorkerPods(leader, SIZE, GPUS)) {
    await e2e.core.createNamespacedPod({ namespace: NS, body });
  }
}

/** Every pod of the group bound and Running, one leader and SIZE-1 workers. */
async function wholeGroup(lws: string): Promise<V1Pod[]> {
  return waitFor(
    `${SIZE} Running pods of ${lws}`,
    async () => {
      const pods = await groupPods(lws);
      return pods.length === SIZE && pods.every(isRunning) ? pods : undefined;
    },
    { timeoutMs: 90_000, describe: () => describeGroup(lws) },
  );
}

async function expectOneClique(lws: string, pods: readonly V1Pod[]): Promise<void> {
  for (const pod of pods) {
    const name = pod.metadata?.name;
    expect(pod.metadata?.annotations?.['phalanx.dev/pod-group'], name).toBe(`${lws}-0`);
    expect(pod.metadata?.annotations?.['phalanx.dev/group-size'], name).toBe(String(SIZE));
    expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL], name).toBe(CLIQUE_LABEL);
  }
  expect(domainsOf(pods, await nodeLabels(e2e.core), CLIQUE_LABEL)).toHaveLength(1);
  expect(pods.filter((p) => p.metadata?.labels?.[LWS.workerIndex] === '0')).toHaveLength(1);
}

async function deleteGroup(lws: string, extra: readonly string[] = []): Promise<void> {
  await e2e.apps.deleteNamespacedStatefulSet({ name: lws, namespace: NS, propagationPolicy: 'Background' });
  await e2e.core.deleteCollectionNamespacedPod({
    namespace: NS,
    labelSelector: `${LWS.name}=${lws}`,
    gracePeriodSeconds: 0,
  });
  for (const name of extra) {
    await e2e.core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
  }
  await waitFor(`pods of ${lws} gone`, async () => {
    const left = (await groupPods(lws)).length;
    const others = (await e2e.core.listNamespacedPod({ namespace: NS })).items.filter((p) =>
      extra.includes(p.metadata?.name ?? ''),
    ).length;
    return left + others === 0 ? true : undefined;
  });
}

describe(`LeaderWorkerSet groups as the LWS controller creates them (Kubernetes v${selectedK8sVersion()})`, () => {
  it('startupPolicy LeaderCreated: workers created right after the leader; the group lands whole in one clique', async () => {
    const lws = 'llm-created';
    await e2e.apps.createNamespacedStatefulSet({
      namespace: NS,
      body: lwsLeaderStatefulSet(lws, NS, SIZE, GPUS),
    });
    const leader = await leaderCreated(lws);
    await createWorkers(leader);
    const pods = await wholeGroup(lws);
    await expectOneClique(lws, pods);
    await deleteGroup(lws);
  });

  it('startupPolicy LeaderReady: the leader is placed first and alone, its workers land in its clique even when another pod asks for that clique meanwhile', async () => {
    const lws = 'llm-ready';
    await e2e.apps.createNamespacedStatefulSet({
      namespace: NS,
      body: lwsLeaderStatefulSet(lws, NS, SIZE, GPUS),
    });
    // The controller creates the worker StatefulSet only once the leader is Ready: until then the
    // leader must be placed on its own (a leader waiting for its workers would wait forever).
    const leader = await waitFor(
      `leader ${lws}-0 Ready with no worker created`,
      async () => {
        const pod = await e2e.core.readNamespacedPod({ name: `${lws}-0`, namespace: NS });
        return isReady(pod) ? pod : undefined;
      },
      { timeoutMs: 90_000, describe: () => describeGroup(lws) },
    );
    expect(await workersOf(lws)).toEqual([]);
    expect(leader.metadata?.annotations?.[PLACEMENT_LEVEL]).toBe(CLIQUE_LABEL);
    const leaderNode = leader.spec?.nodeName ?? '';
    const clique = (await nodeLabels(e2e.core)).get(leaderNode)?.[CLIQUE_LABEL] ?? '';
    expect(clique).not.toBe('');

    // Before the workers exist, another 8-GPU pod asks for the leader's clique: the workers' room
    // held there must not go to it.
    const squatter = 'squatter';
    await e2e.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: squatter, namespace: NS },
        spec: {
          terminationGracePeriodSeconds: 0,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: CLIQUE_LABEL, operator: 'In', values: [clique] }] },
                ],
              },
            },
          },
          containers: [
            {
              name: 'main',
              image: PAUSE_IMAGE,
              resources: { requests: { 'nvidia.com/gpu': '8' }, limits: { 'nvidia.com/gpu': '8' } },
            },
          ],
        },
      },
    });
    const verdict = await waitFor(
      `the scheduler's verdict on ${squatter}`,
      async () => {
        const pod = await e2e.core.readNamespacedPod({ name: squatter, namespace: NS });
        if (isBound(pod)) return `bound to ${pod.spec?.nodeName}`;
        const refusals = await failedSchedulingMessages(e2e.core, NS, squatter);
        return refusals.length > 0 ? `refused: ${refusals.join(' | ')}` : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(verdict).toMatch(/^refused: /);
    process.stderr.write(`[e2e] ${squatter}: ${verdict}\n`);

    await createWorkers(leader);
    const pods = await wholeGroup(lws);
    await expectOneClique(lws, pods);
    expect(domainsOf(pods, await nodeLabels(e2e.core), CLIQUE_LABEL)).toEqual([clique]);
    const bindings = pods.map((p) => ({
      name: p.metadata?.name ?? '',
      at: p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime,
    }));
    const leaderAt = bindings.find((b) => b.name === `${lws}-0`)?.at;
    for (const b of bindings) {
      if (b.name !== `${lws}-0`) expect(Number(b.at), b.name).toBeGreaterThanOrEqual(Number(leaderAt));
    }
    const squatterBound = await firstViolationWithin(3_000, async () => {
      const pod = await e2e.core.readNamespacedPod({ name: squatter, namespace: NS });
      return isBound(pod) ? `bound to ${pod.spec?.nodeName}` : undefined;
    });
    expect(squatterBound).toBeUndefined();
    await deleteGroup(lws, [squatter]);
  });
});
