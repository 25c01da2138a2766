// Issue 10 item 3: borrowing and reclaim with Kueue, placement by Phalanx. Two teams' ClusterQueues
// share one cohort (testbed/kueue/team-queues.yaml) sized to the e2e fabric's 64 GPUs. Team B's
// preemptible training gang — one Phalanx gang, one Kueue Workload — borrows team A's idle half.
// Team A's fractional inference Deployment scales up: Kueue reclaims by evicting B's Workload whole,
// and Phalanx packs A's 0.5-GPU pods onto the freed devices. The time from A's scale-up to its pods
// bound is measured and printed.
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installKueue, stopKueue } from '../../testbed/kueue/kueue-install.js';
import {
  applyYamlFile,
  clusterQueueActive,
  clusterQueueUsage,
  hasCondition,
  listWorkloads,
  QUEUE_NAME_LABEL,
  TEAM_QUEUES_FILE,
} from '../../testbed/kueue/kueue-objects.js';
import { binaryPaths, selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { createNamespace } from '../../testbed/environment.js';
import {
  boundGpuPods,
  fetchLedger,
  isRunning,
  podsWithLabel,
  usageDifferences,
  usageOfLedger,
  usageOfPods,
  type BoundGpuPod,
} from '../../testbed/observe.js';
import { firstViolationWithin, waitFor } from '../../testbed/wait.js';
import { fractionalDeployment, GROUP_SIZE, PAUSE_IMAGE, POD_GROUP } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-kueue';
const TEAM_A = 'team-a';
const TEAM_B = 'team-b';
const TRAIN_PODS = 8;
const GPUS_PER_TRAIN_POD = 8;
const INFER_REPLICAS = 4;
const e2e = useE2E(CLUSTER);
let kueueLog = '';

beforeAll(async () => {
  const kueue = await installKueue({
    kubeconfig: e2e.cluster.kubeconfig,
    stateDir: e2e.cluster.stateDir,
    kubectl: binaryPaths(e2e.cluster.k8sVersion).kubectl,
    log: (line) => process.stderr.write(`[e2e] ${CLUSTER}: kueue: ${line}\n`),
  });
  kueueLog = kueue.logFile;
  await createNamespace(e2e, TEAM_A);
  await createNamespace(e2e, TEAM_B);
  await applyYamlFile(e2e.kc, TEAM_QUEUES_FILE);
  await waitFor('both ClusterQueues Active', async () =>
    (await clusterQueueActive(e2e.kc, TEAM_A)) && (await clusterQueueActive(e2e.kc, TEAM_B))
      ? true
      : undefined,
  );
});

afterAll(async () => {
  if (kueueLog !== '') process.stderr.write(`[e2e] Kueue log: ${kueueLog}\n`);
  if (e2e.cluster !== undefined) await stopKueue(e2e.cluster.stateDir);
});

function queued(deployment: V1Deployment, queue: string): V1Deployment {
  const labels = { ...deployment.metadata?.labels, [QUEUE_NAME_LABEL]: queue };
  return { ...deployment, metadata: { ...deployment.metadata, labels } };
}

/**
 * Team B's training: a StatefulSet of 8 × 8-GPU pods that is one Phalanx gang (pod-group annotations)
 * and, through Kueue's StatefulSet integration, one Kueue Workload (Kueue labels its pods as one pod
 * group). A StatefulSet rather than a Job: KWOK completes a Job's pods at once, and a preempted
 * StatefulSet comes back queued, as a preemptible training run is resubmitted.
 */
function trainingGang(): V1StatefulSet {
  const labels = { app: 'train' };
  const gpus = String(GPUS_PER_TRAIN_POD);
  return {
    metadata: { name: 'train', namespace: TEAM_B, labels: { [QUEUE_NAME_LABEL]: 'batch' } },
    spec: {
      replicas: TRAIN_PODS,
      serviceName: 'train',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { [POD_GROUP]: 'train', [GROUP_SIZE]: String(TRAIN_PODS) } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: 'main',
              image: PAUSE_IMAGE,
              resources: { requests: { 'nvidia.com/gpu': gpus }, limits: { 'nvidia.com/gpu': gpus } },
            },
          ],
        },
      },
    },
  };
}

const deviceKey = (pod: BoundGpuPod, index: number) => `${pod.node}/${index}`;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function teamPods(namespace: string): Promise<BoundGpuPod[]> {
  return (await boundGpuPods(e2e.core)).filter((p) => p.namespace === namespace);
}

async function ledgerAgrees(): Promise<void> {
  await waitFor(
    '/debug/ledger to agree with the decision annotations',
    async () => {
      const [pods, ledger] = [await boundGpuPods(e2e.core), await fetchLedger(e2e.phalanx.adminUrl)];
      return usageDifferences(usageOfPods(pods), usageOfLedger(ledger)).length === 0 ? true : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

let trainDevices = new Set<string>();

describe(`borrowing and reclaim with Kueue v0.17.0 (Kubernetes v${selectedK8sVersion()})`, () => {
  it("team B's training gang borrows every idle GPU as one Workload, placed whole by Phalanx", async () => {
    // Team A's inference service exists but idles at zero replicas: its quota is lent out.
    await e2e.apps.createNamespacedDeployment({
      namespace: TEAM_A,
      body: queued(fractionalDeployment('infer', TEAM_A, 0, '0.5'), 'inference'),
    });
    const createdAt = Date.now();
    await e2e.apps.createNamespacedStatefulSet({ namespace: TEAM_B, body: trainingGang() });

    const train = await waitFor(
      `${TRAIN_PODS} training pods Running with their devices`,
      async () => {
        const running = (await teamPods(TEAM_B)).filter((p) => isRunning(p.pod));
        return running.length === TRAIN_PODS ? running : undefined;
      },
      { timeoutMs: 120_000 },
    );
    process.stderr.write(
      `[e2e] team B's gang admitted and Running ${seconds(Date.now() - createdAt)} s after creation\n`,
    );
    for (const pod of train) {
      expect(pod.pod.spec?.schedulerName, pod.name).toBe('phalanx-scheduler');
      expect(
        pod.devices.map((d) => d.milli),
        pod.name,
      ).toEqual(Array(GPUS_PER_TRAIN_POD).fill(1000));
    }
    trainDevices = new Set(train.flatMap((p) => p.devices.map((d) => deviceKey(p, d.index))));
    expect(trainDevices.size).toBe(64);

    const workloads = await listWorkloads(e2e.kc, TEAM_B);
    expect(workloads).toHaveLength(1);
    expect(workloads[0]?.podSets.reduce((n, p) => n + p.count, 0)).toBe(TRAIN_PODS);
    expect(workloads[0] && hasCondition(workloads[0], 'Admitted')).toBe(true);

    // Kueue counts the gang in both resources; half of it is borrowed from team A. Kueue writes the
    // ClusterQueue's usage after admission, asynchronously: the pods may be Running before it shows.
    const usage = await waitFor(
      "team B's ClusterQueue usage to count the admitted gang",
      async () => {
        const now = await clusterQueueUsage(e2e.kc, TEAM_B);
        return now['nvidia.com/gpu']?.total === '0' || now['nvidia.com/gpu'] === undefined ? undefined : now;
      },
      { timeoutMs: 30_000 },
    );
    expect(usage['nvidia.com/gpu']).toEqual({ total: '64', borrowed: '32' });
    expect(usage['phalanx.dev/gpu-milli']).toEqual({ total: '64k', borrowed: '32k' });
    // Phalanx publishes the same borrowing as a gauge (read from Kueue's status at scrape time).
    const borrowed = await waitFor(
      'phalanx_kueue_borrowed for team-b',
      async () => {
        const text = await (await fetch(`${e2e.phalanx.adminUrl}/metrics`)).text();
        const lines = text
          .split('\n')
          .filter((l) => l.startsWith('phalanx_kueue_borrowed{cluster_queue="team-b"'));
        return lines.some((l) => l.endsWith(' 32000')) ? lines : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(borrowed).toContain(
      'phalanx_kueue_borrowed{cluster_queue="team-b",flavor="h100",resource="phalanx.dev/gpu-milli"} 32000',
    );
    expect(borrowed).toContain(
      'phalanx_kueue_borrowed{cluster_queue="team-b",flavor="h100",resource="nvidia.com/gpu"} 32',
    );
    await ledgerAgrees();
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.usedMilli).toBe(64_000);
  });

  it("team A scales up: Kueue evicts B's Workload whole and Phalanx places A's pods on the freed devices", async () => {
    const scaledAt = Date.now();
    await e2e.apps.patchNamespacedDeploymentScale(
      { name: 'infer', namespace: TEAM_A, body: { spec: { replicas: INFER_REPLICAS } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    let trainGoneAt = 0;
    const infer = await waitFor(
      `${INFER_REPLICAS} inference pods bound`,
      async () => {
        if (trainGoneAt === 0 && (await teamPods(TEAM_B)).length === 0) trainGoneAt = Date.now();
        const pods = await teamPods(TEAM_A);
        return pods.length === INFER_REPLICAS ? pods : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const boundAt = Date.now();
    process.stderr.write(
      `[e2e] RECLAIM: ${INFER_REPLICAS} x 0.5-GPU pods of team A bound ${seconds(boundAt - scaledAt)} s after ` +
        `the scale-up (team B's ${TRAIN_PODS} pods off their devices after ${seconds((trainGoneAt || boundAt) - scaledAt)} s)\n`,
    );

    // Evicted whole: the Workload was preempted to reclaim A's quota and no training pod holds a device.
    const [workload] = await listWorkloads(e2e.kc, TEAM_B);
    expect(workload && hasCondition(workload, 'Preempted', 'InCohortReclamation')).toBe(true);
    expect(await teamPods(TEAM_B)).toEqual([]);

    // Two 0.5-GPU pods per device, on devices the training gang had.
    const byDevice = new Map<string, number>();
    for (const pod of infer) {
      expect(pod.devices, pod.name).toEqual([{ index: expect.any(Number) as number, milli: 500 }]);
      const key = deviceKey(pod, pod.devices[0]?.index ?? -1);
      expect(trainDevices.has(key), key).toBe(true);
      byDevice.set(key, (byDevice.get(key) ?? 0) + 1);
    }
    expect([...byDevice.values()]).toEqual([2, 2]);
    await waitFor('all inference pods Running', async () => {
      const pods = await podsWithLabel(e2e.core, TEAM_A, 'app=infer');
      return pods.length === INFER_REPLICAS && pods.every(isRunning) ? true : undefined;
    });
    await ledgerAgrees();
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.usedMilli).toBe(INFER_REPLICAS * 500);
    // Kueue writes ClusterQueue usage asynchronously after admission; wait for it to count A's shares.
    const usageA = await waitFor(
      "team A's ClusterQueue usage counting its shares",
      async () => {
        const usage = await clusterQueueUsage(e2e.kc, TEAM_A);
        return usage['phalanx.dev/gpu-milli']?.total === '2k' ? usage : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(usageA['phalanx.dev/gpu-milli']).toEqual({ total: '2k', borrowed: '0' });
  });

  it("keeps team B's gang queued while it does not fit: no training pod is bound again", async () => {
    const violation = await firstViolationWithin(5_000, async () => {
      const back = await teamPods(TEAM_B);
      return back.length > 0 ? `training pods bound again: ${back.map((p) => p.name).join(', ')}` : undefined;
    });
    expect(violation).toBeUndefined();
    const [workload] = await listWorkloads(e2e.kc, TEAM_B);
    expect(workload && hasCondition(workload, 'QuotaReserved')).toBe(false);
    // Its recreated pods are held by Kueue's admission gate, and Phalanx says so on them.
    const told = await waitFor(
      "Phalanx's WaitingForAdmission event on a training pod",
      async () => {
        const events = (await e2e.core.listNamespacedEvent({ namespace: TEAM_B })).items;
        return events.find((e) => e.reason === 'WaitingForAdmission' && e.involvedObject?.kind === 'Pod');
      },
      { timeoutMs: 30_000 },
    );
    expect(told.source?.component).toBe('phalanx');
    expect(told.message).toContain('kueue.x-k8s.io/admission');
  });
});
