// Scenario 4 (issue 8): Phalanx is SIGKILLed while a Deployment scales up and a gang is being
// created, then restarted. It rebuilds its ledger from the API (the annotations on bound pods),
// nothing is lost, no device is allocated twice, no gang is left half-bound, pending pods bind.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { LEADER_POD_LABEL } from '../../src/core/names.js';
import { useE2E } from './support/e2e-cluster.js';
import { standInPod } from '../../testbed/environment.js';
import { PHALANX_NAMESPACE } from '../../testbed/deploy-rbac.js';
import { CLIQUE_LABEL, domainsOf, nodeLabels } from '../../testbed/gang-checks.js';
import {
  boundGpuPods,
  capacityViolations,
  fetchLedger,
  gpusPerNode,
  isBound,
  isRunning,
  podsWithLabel,
  usageDifferences,
  usageOfLedger,
  usageOfPods,
} from '../../testbed/observe.js';
import { PHALANX_STAND_IN_POD } from '../../testbed/phalanx-runner.js';
import { waitFor } from '../../testbed/wait.js';
import { fractionalDeployment, lwsLikeStatefulSet } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-restart';
const NS = 'restart';
const START_REPLICAS = 4;
const REPLICAS = 16;
const GANG = 4;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

async function agreement(): Promise<string[]> {
  const pods = await boundGpuPods(e2e.core);
  const ledger = await fetchLedger(e2e.phalanx.adminUrl);
  return usageDifferences(usageOfPods(pods), usageOfLedger(ledger));
}

describe(`restart of Phalanx mid-run (Kubernetes v${selectedK8sVersion()})`, () => {
  it('rebuilds the ledger from the API after SIGKILL and finishes the work without double allocation', async () => {
    await e2e.apps.createNamespacedDeployment({
      namespace: NS,
      body: fractionalDeployment('infer', NS, START_REPLICAS, '0.5'),
    });
    await waitFor(`${START_REPLICAS} Running replicas`, async () => {
      const pods = await podsWithLabel(e2e.core, NS, 'app=infer');
      return pods.length === START_REPLICAS && pods.every(isRunning) ? true : undefined;
    });

    // Work in flight: the Deployment scales up and a gang arrives, then Phalanx dies mid-way.
    await e2e.apps.patchNamespacedDeploymentScale(
      { name: 'infer', namespace: NS, body: { spec: { replicas: REPLICAS } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await e2e.apps.createNamespacedStatefulSet({
      namespace: NS,
      body: lwsLikeStatefulSet('lws', NS, GANG, 4),
    });
    const boundAtKill = await waitFor(
      'scale-up under way',
      async () => {
        const bound = (await podsWithLabel(e2e.core, NS, 'app=infer')).filter(isBound).length;
        return bound > START_REPLICAS ? bound : undefined;
      },
      { intervalMs: 50 },
    );
    await e2e.phalanx.kill();
    process.stderr.write(`[e2e] SIGKILL with ${boundAtKill}/${REPLICAS} replicas bound\n`);

    await e2e.phalanx.start();
    // Right after the restart the ledger is what the bound pods' annotations say.
    await waitFor(
      'the rebuilt ledger to agree with the annotations',
      async () => ((await agreement()).length === 0 ? true : undefined),
      { timeoutMs: 20_000, describe: async () => (await agreement()).join('; ') },
    );

    // Everything pending gets placed.
    await waitFor(
      `${REPLICAS} Running replicas and the whole gang`,
      async () => {
        const infer = await podsWithLabel(e2e.core, NS, 'app=infer');
        const gang = await podsWithLabel(e2e.core, NS, 'app=lws');
        const done =
          infer.length === REPLICAS &&
          infer.every(isRunning) &&
          gang.length === GANG &&
          gang.every(isRunning);
        return done ? true : undefined;
      },
      { timeoutMs: 180_000 },
    );

    await waitFor(
      'the ledger to agree with the annotations',
      async () => ((await agreement()).length === 0 ? true : undefined),
      { timeoutMs: 20_000, describe: async () => (await agreement()).join('; ') },
    );
    const pods = await boundGpuPods(e2e.core);
    expect(capacityViolations(usageOfPods(pods), await gpusPerNode(e2e.core))).toEqual([]);
    const ledger = await fetchLedger(e2e.phalanx.adminUrl);
    expect(ledger.totals.committedMilli).toBe(REPLICAS * 500 + GANG * 4 * 1000);
    expect(ledger.totals.usedMilli).toBe(ledger.totals.committedMilli);
    const gang = await podsWithLabel(e2e.core, NS, 'app=lws');
    expect(domainsOf(gang, await nodeLabels(e2e.core), CLIQUE_LABEL)).toHaveLength(1);
  });

  it('labels the leader’s pod for the Services, clears a stale label, and unlabels it on shutdown', async () => {
    const leaderLabelOf = async (name: string): Promise<string | undefined> =>
      (await e2e.core.readNamespacedPod({ name, namespace: PHALANX_NAMESPACE })).metadata?.labels?.[
        LEADER_POD_LABEL
      ];
    await waitFor('the leader label on Phalanx’s pod', async () =>
      (await leaderLabelOf(PHALANX_STAND_IN_POD)) === 'true' ? true : undefined,
    );
    // A predecessor that lost the Lease without its shutdown (killed, partitioned) kept its label.
    await e2e.core.createNamespacedPod({
      namespace: PHALANX_NAMESPACE,
      body: standInPod('phalanx-predecessor', { [LEADER_POD_LABEL]: 'true' }),
    });

    await e2e.phalanx.stop();
    expect(await leaderLabelOf(PHALANX_STAND_IN_POD)).toBeUndefined();

    await e2e.phalanx.start();
    await waitFor('the label back on Phalanx’s pod and gone from the predecessor', async () => {
      const mine = await leaderLabelOf(PHALANX_STAND_IN_POD);
      const theirs = await leaderLabelOf('phalanx-predecessor');
      return mine === 'true' && theirs === undefined ? true : undefined;
    });
  });
});
