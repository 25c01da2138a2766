// Scenario 2 (issue 8): workloads become gangs through the real controllers. An indexed Job and a
// LeaderWorkerSet-labelled StatefulSet land whole in one NVLink clique; a gang too large for the
// cluster stays entirely unbound with an Event stating the shortfall; two gangs that cannot both fit
// do not deadlock: one is placed whole, the other waits whole and is placed once room appears.
// Fabric: 8 nodes × 8 GPUs, cliques of 2 nodes (16 GPUs), 64 GPUs in all.
import type { V1Pod } from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { CLIQUE_LABEL, domainsOf, gangEvents, nodeLabels } from '../../testbed/gang-checks.js';
import {
  fetchLedger,
  isBound,
  isRunning,
  PLACEMENT_LEVEL,
  podsWithLabel,
  waitForEmptyLedger,
} from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { gangPod, indexedJob, lwsLikeStatefulSet } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-gangs';
const NS = 'gangs';
/** How long a waiting gang is watched for any member being bound. */
const HOLD_MS = 6_000;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

/** Each scenario starts from an empty ledger (the previous one's pods are gone). */
beforeEach(() => waitForEmptyLedger(e2e.phalanx.adminUrl));

async function createPods(pods: readonly V1Pod[]): Promise<void> {
  for (const body of pods) await e2e.core.createNamespacedPod({ namespace: NS, body });
}

async function deleteByLabel(selector: string): Promise<void> {
  await e2e.core.deleteCollectionNamespacedPod({
    namespace: NS,
    labelSelector: selector,
    gracePeriodSeconds: 0,
  });
  await waitFor(`pods ${selector} gone`, async () =>
    (await podsWithLabel(e2e.core, NS, selector)).length === 0 ? true : undefined,
  );
}

function members(group: string, size: number, gpus: number): V1Pod[] {
  return Array.from({ length: size }, (_, i) => gangPod(`${group}-${i}`, NS, group, size, gpus));
}

describe(`gangs through the control plane (Kubernetes v${selectedK8sVersion()})`, () => {
  it('places an indexed Job (4 pods × 4 GPUs) whole inside one NVLink clique', async () => {
    await e2e.batch.createNamespacedJob({ namespace: NS, body: indexedJob('train', NS, 4, 4) });
    const pods = await waitFor('4 bound Job pods', async () => {
      const items = await podsWithLabel(e2e.core, NS, 'job-name=train');
      return items.length === 4 && items.every(isBound) ? items : undefined;
    });
    for (const pod of pods) {
      expect(pod.metadata?.annotations?.['phalanx.dev/pod-group'], pod.metadata?.name).toBe('train');
      expect(pod.metadata?.annotations?.['phalanx.dev/group-size'], pod.metadata?.name).toBe('4');
      expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL], pod.metadata?.name).toBe(CLIQUE_LABEL);
    }
    expect(domainsOf(pods, await nodeLabels(e2e.core), CLIQUE_LABEL)).toHaveLength(1);
    await e2e.batch.deleteNamespacedJob({ name: 'train', namespace: NS, propagationPolicy: 'Background' });
    await deleteByLabel('job-name=train');
  });

  it('places a LeaderWorkerSet-labelled StatefulSet (4 pods × 4 GPUs) whole inside one clique', async () => {
    await e2e.apps.createNamespacedStatefulSet({ namespace: NS, body: lwsLikeStatefulSet('lws', NS, 4, 4) });
    const pods = await waitFor('4 Running LWS-like pods', async () => {
      const items = await podsWithLabel(e2e.core, NS, 'app=lws');
      return items.length === 4 && items.every(isRunning) ? items : undefined;
    });
    for (const pod of pods) {
      expect(pod.metadata?.annotations?.['phalanx.dev/pod-group'], pod.metadata?.name).toBe('lws-0');
      expect(pod.metadata?.annotations?.[PLACEMENT_LEVEL], pod.metadata?.name).toBe(CLIQUE_LABEL);
    }
    expect(domainsOf(pods, await nodeLabels(e2e.core), CLIQUE_LABEL)).toHaveLength(1);
    await e2e.apps.deleteNamespacedStatefulSet({ name: 'lws', namespace: NS });
    await deleteByLabel('app=lws');
  });

  it('leaves a gang that fits nowhere (9 × 8 GPUs > 64) entirely unbound, with an Event giving the shortfall', async () => {
    await createPods(members('huge', 9, 8));
    const messages = await waitFor('a GangUnschedulable event on huge-0', async () => {
      const found = await gangEvents(e2e.core, NS, 'huge-0');
      return found.length > 0 ? found : undefined;
    });
    expect(messages.join('\n')).toMatch(/needs 9 pods × 8 GPUs.*room for 8\b/);
    const violation = await firstViolationWithin(HOLD_MS, async () => {
      const bound = (await podsWithLabel(e2e.core, NS, 'gang=huge')).filter(isBound);
      return bound.length > 0 ? `bound: ${bound.map((p) => p.metadata?.name).join(', ')}` : undefined;
    });
    expect(violation).toBeUndefined();
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.usedMilli).toBe(0);
    await deleteByLabel('gang=huge');
  });

  it('resolves two gangs that cannot both fit (2 × 5 × 8 GPUs > 64): one whole, the other waits whole', async () => {
    const a = members('red', 5, 8);
    const b = members('blue', 5, 8);
    await createPods(a.flatMap((pod, i) => [pod, b[i] as V1Pod]));
    const count = async (group: string) =>
      (await podsWithLabel(e2e.core, NS, `gang=${group}`)).filter(isBound).length;
    const winner = await waitFor(
      'one gang fully bound',
      async () => {
        const [red, blue] = [await count('red'), await count('blue')];
        return red === 5 ? 'red' : blue === 5 ? 'blue' : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const loser = winner === 'red' ? 'blue' : 'red';
    const violation = await firstViolationWithin(HOLD_MS, async () => {
      const [won, lost] = [await count(winner), await count(loser)];
      if (won !== 5) return `${winner} lost members: ${won} bound`;
      return lost > 0 ? `${loser} is half-bound: ${lost} of 5` : undefined;
    });
    expect(violation).toBeUndefined();
    expect((await podsWithLabel(e2e.core, NS, `gang=${winner}`)).every(isRunning)).toBe(true);

    // No deadlock: once the winner leaves, the waiting gang is placed whole. Nothing else happens in
    // the cluster meanwhile, so this also catches a waiting gang that is only retried by the
    // scheduler's 5-minute flush of unschedulable pods.
    await deleteByLabel(`gang=${winner}`);
    await waitFor(
      `${loser} fully bound after ${winner} left`,
      async () => ((await count(loser)) === 5 ? true : undefined),
      {
        timeoutMs: 90_000,
        describe: async () => {
          const pod = await e2e.core.readNamespacedPod({ name: `${loser}-0`, namespace: NS });
          const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
          return `${await count(loser)} of 5 bound; ${loser}-0 last said: ${scheduled?.message ?? '-'}`;
        },
      },
    );
    await deleteByLabel(`gang=${loser}`);
  });
});
