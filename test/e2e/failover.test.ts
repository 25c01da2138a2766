// Issue 17: two Phalanx replicas with leader election behind a leader proxy (as deploy/'s Services
// route by the leader label); the leader is SIGKILLed while fractions scale and gangs arrive, a few
// rounds (bench:chaos runs ≥ 20). After each: a replica serves again, no device is given twice, no
// gang is half-bound, both replicas' ledgers equal what the bound pods say, one leader label.
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosEnv } from '../../testbed/chaos.js';
import { clusterUp } from '../../testbed/cluster.js';
import { freePort } from '../../testbed/free-port.js';
import { E2E_FABRIC, log, stopE2E } from '../../testbed/environment.js';
import { schedulerClientTls } from '../../testbed/extender-certs.js';
import { runReplicas, type ReplicaSet } from '../../testbed/replicas.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';

const CLUSTER = 'phalanx-e2e-failover';
const NS = 'failover';
let env: ChaosEnv | undefined;
let replicas: ReplicaSet | undefined;

beforeAll(async () => {
  const extenderPort = await freePort();
  const cluster = await clusterUp({
    name: CLUSTER,
    fabricFile: E2E_FABRIC,
    extenderPort,
    log: (l) => log(`${CLUSTER}: ${l}`),
  });
  replicas = await runReplicas(cluster, { extenderPort, log: (l) => log(`${CLUSTER}: ${l}`) });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  env = {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    replicas,
    tls: await schedulerClientTls(cluster.extenderTls),
    probeNode: cluster.nodes[0]?.name ?? '',
  };
});

afterAll(async () => {
  for (const r of replicas?.replicas ?? []) log(`${CLUSTER}: ${r.name} log tail:\n${await r.logTail(8)}`);
  await replicas?.stop();
  await stopE2E(CLUSTER);
});

describe(`leader failover under SIGKILL (Kubernetes v${selectedK8sVersion()})`, () => {
  it('serves again after each kill, gives no device twice, leaves no gang half-bound, ledgers agree', async () => {
    if (env === undefined) throw new Error('environment not started');
    // A namespace per attempt: vitest's retry runs this again on the same cluster.
    const namespace = `${NS}-${Date.now() % 100_000}`;
    await env.core.createNamespace({ body: { metadata: { name: namespace } } });
    const core = env.core;
    await waitFor(`default ServiceAccount in ${namespace}`, () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace }),
    );
    const summary = await runChaos(env, {
      namespace,
      rounds: 3,
      seed: Date.now() % 100_000,
      maxKillDelayMs: 2_000,
      // Rounds start only in the first 50 s: the file stays near 2 minutes on a 2-core machine.
      maxMs: 50_000,
      settleTimeoutMs: 150_000,
      log: (l) => log(`${CLUSTER}: ${l}`),
    });
    expect(summary.roundsRun).toBeGreaterThanOrEqual(2);
    expect(summary.rounds.flatMap((r) => r.violations)).toEqual([]);
    for (const r of summary.rounds) {
      expect(r.recoveryMs).toBeDefined();
      expect(r.newLeader).not.toBe(r.killed);
    }
  });
});
