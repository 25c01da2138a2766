// bench:chaos — leader kills on the real control plane (issue 17). A local cluster (the e2e fabric:
// 8 nodes × 8 H100) with two Phalanx replicas under leader election behind a leader proxy
// (testbed/replicas.ts); each round fractions scale and gangs arrive, the leader is SIGKILLed at a
// random moment, and the invariants of testbed/chaos.ts are checked once the work has settled.
// Bounded in rounds and time; all traffic on 127.0.0.1. Figures are printed and written to
// benchmarks/results/chaos.json with the 1-minute load average at start and end.
import { loadavg } from 'node:os';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { runChaos } from '../../testbed/chaos.js';
import { clusterDown, clusterUp } from '../../testbed/cluster.js';
import { E2E_FABRIC } from '../../testbed/environment.js';
import { schedulerClientTls } from '../../testbed/extender-certs.js';
import { runReplicas, type ReplicaSet } from '../../testbed/replicas.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';
import { commandLine, machineDescription, writeJsonResult } from '../lib/results.js';

const program = new Command()
  .option('--rounds <n>', 'leader kills', '20')
  .option('--seed <n>', 'seed of the workload and the kill moments', '17')
  .option(
    '--max-kill-delay-ms <n>',
    'each workload change and the kill come at a random moment of this many ms into the round',
    '3000',
  )
  .option('--max-seconds <n>', 'no round starts after this long', '1800')
  .option('--name <name>', 'cluster name', 'phalanx-bench-chaos')
  .option('--keep-cluster', 'leave the cluster up for the next run (the replicas stop)')
  .parse();
const opts = program.opts<{
  rounds: string;
  seed: string;
  maxKillDelayMs: string;
  maxSeconds: string;
  name: string;
  keepCluster?: boolean;
}>();

const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
const load1 = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;
// A namespace per run: --keep-cluster lets the next run reuse the cluster.
const NAMESPACE = `chaos-${Date.now() % 1_000_000}`;

const loadStart = load1();
const startedAt = Date.now();
let replicas: ReplicaSet | undefined;
const cleanup = async () => {
  await replicas?.stop();
  replicas = undefined;
  if (!opts.keepCluster) await clusterDown(opts.name);
};
process.once('SIGINT', () => {
  log('interrupted: stopping the replicas and the cluster');
  void cleanup().finally(() => process.exit(130));
});

try {
  // A fixed port per cluster name (the cluster's signature includes it), so a kept cluster is reused.
  let h = 0;
  for (const ch of opts.name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const extenderPort = 20_000 + (h % 1000);
  const cluster = await clusterUp({ name: opts.name, fabricFile: E2E_FABRIC, extenderPort, log });
  replicas = await runReplicas(cluster, { extenderPort, log });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await waitFor(`default ServiceAccount in ${NAMESPACE}`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: NAMESPACE }),
  );
  const summary = await runChaos(
    {
      core,
      apps: kc.makeApiClient(AppsV1Api),
      replicas,
      tls: await schedulerClientTls(cluster.extenderTls),
      probeNode: cluster.nodes[0]?.name ?? '',
    },
    {
      namespace: NAMESPACE,
      rounds: Number(opts.rounds),
      seed: Number(opts.seed),
      maxKillDelayMs: Number(opts.maxKillDelayMs),
      maxMs: Number(opts.maxSeconds) * 1000,
      log,
    },
  );
  const loadEnd = load1();
  const result = {
    benchmark: 'chaos',
    command: commandLine('bench:chaos'),
    machine: machineDescription(),
    cluster: `Kubernetes v${selectedK8sVersion()}, ${cluster.nodes.length} KWOK nodes × 8 GPUs (${E2E_FABRIC}), 2 Phalanx replicas with leader election (Lease 15 s) behind a leader-label proxy`,
    loadAverage1m: { start: loadStart, end: loadEnd },
    seconds: Math.round((Date.now() - startedAt) / 1000),
    seed: Number(opts.seed),
    ...summary,
    runs: summary.rounds.map((r) => ({ ...r, violations: r.violations.join('; ') })),
  };
  writeJsonResult('chaos', result);
  const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
  console.table(
    summary.rounds.map((r) => ({
      round: r.round,
      killed: r.killed,
      'delay ms': r.killDelayMs,
      'pending at kill': r.pendingAtKill,
      'lease taken': s(r.leaseTakeoverMs),
      serving: s(r.recoveryMs),
      settled: s(r.settleMs),
      violations: r.violations.length,
    })),
  );
  console.log(
    `${summary.roundsRun} rounds, ${summary.violations} invariant violations, ${summary.unsettled} unsettled; ` +
      `recovery (kill → serving) p50 ${s(summary.recoveryP50Ms)}, p99 ${s(summary.recoveryP99Ms)}, max ${s(summary.recoveryMaxMs)}; ` +
      `Lease taken over p50 ${s(summary.leaseTakeoverP50Ms)}; settled p50 ${s(summary.settleP50Ms)}, p99 ${s(summary.settleP99Ms)}; ` +
      `1-min load ${loadStart} → ${loadEnd}`,
  );
  if (summary.violations > 0) process.exitCode = 1;
} finally {
  await cleanup();
}
