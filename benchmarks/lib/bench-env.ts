// The environment a cluster benchmark runs in. Either
//  - local (default): a KWOK cluster from testbed with the fabric's nodes created Ready and the
//    KWOK controller disabled (no simulated kubelet: no heartbeats, no Lease renewals, bound pods stay
//    Pending, as in scheduler_perf), kube-controller-manager's node grace periods raised so the unheartbeated
//    nodes stay Ready, kwokctl's own scheduler disabled, Phalanx (extender only) and the two
//    kube-schedulers of schedulers.ts started by us; or
//  - external (`--kubeconfig`): any cluster (kind included) where phalanx-scheduler and Phalanx are
//    deployed already; the stock configuration is the cluster's default-scheduler.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { clusterDown, clusterUp } from '../../testbed/cluster.js';
import { startPhalanx, stopPhalanx, PHALANX_LOG } from '../../testbed/phalanx-process.js';
import { binaryPaths, REPO_ROOT, selectedK8sVersion } from '../../testbed/versions.js';
import { NodeLabel, Resource } from '../../src/core/names.js';
import { PooledKubeConfig } from '../../src/kube/kube-config.js';
import { ensureNamespace, forceDeletePods } from './namespaces.js';
import { watchPods } from './pod-watch.js';
import { SERVE_NODE_OPTIONS } from '../../src/cli/gc-tuning.js';
import { cpuSampler, findPid, type CpuSampler } from './process-cpu.js';
import { PHALANX_SCHEDULER, STOCK_SCHEDULER, startScheduler, type SchedulerProcess } from './schedulers.js';

export interface BenchEnvOptions {
  /** Cluster name (local mode); state in .cluster/<name>/. */
  readonly name: string;
  /** Fabric file (absolute or relative to the repository root); local mode. */
  readonly fabricFile: string;
  /** Any cluster instead of a local one. */
  readonly kubeconfig?: string;
  /** Kubernetes feature gates for the API server and both schedulers (local mode). */
  readonly featureGates?: string;
  readonly runtimeConfig?: string;
  /** Phalanx placement policy (default: its configured default). */
  readonly policy?: string;
  /** Further Phalanx settings (config file sections, e.g. `{ filter: { mode: 'bestTier' } }`). */
  readonly phalanxConfig?: Readonly<Record<string, unknown>>;
  /** Run Phalanx under `node --cpu-prof`; the profile lands in benchmarks/results/. */
  readonly cpuProf?: boolean;
  /** Serve each kube-scheduler's Go pprof on loopback (see BenchEnv.pprofUrl). */
  readonly schedulerPprof?: boolean;
  readonly keepCluster?: boolean;
  readonly log: (line: string) => void;
}

export interface BenchNode {
  readonly name: string;
  readonly gpus: number;
  readonly clique: string;
  readonly rack: string;
  readonly zone: string;
}

export interface BenchEnv {
  readonly kc: KubeConfig;
  readonly external: boolean;
  readonly phalanxScheduler: string;
  readonly stockScheduler: string;
  readonly nodes: readonly BenchNode[];
  readonly phalanxLog?: string;
  /** Local mode only: Phalanx's Prometheus metrics (admin port). */
  readonly metricsUrl?: string;
  /** Local mode only: the scheduler process of a profile, to pause while a backlog is created. */
  scheduler(profile: string): SchedulerProcess | undefined;
  /** Local mode with schedulerPprof: the base URL of that scheduler's pprof endpoints. */
  pprofUrl?(profile: string): string | undefined;
  /** Local mode only: CPU time of the processes a pod of `profile` goes through. */
  cpu?(profile: string): CpuSampler;
  stop(): Promise<void>;
}

/** A fixed port per cluster name (the cluster's signature includes it), so benches can run side by side. */
function extenderPortFor(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return 18_000 + (h % 1000);
}
const PHALANX_READY_MS = 120_000;
/** Past the admin port (extender + 1000): one per scheduler profile. */
const pprofPortOf = (extenderPort: number, profile: string): number =>
  extenderPort + (profile === PHALANX_SCHEDULER ? 2000 : 2001);

export async function startBenchEnv(opts: BenchEnvOptions): Promise<BenchEnv> {
  if (opts.kubeconfig !== undefined) {
    const kc = new KubeConfig();
    kc.loadFromFile(opts.kubeconfig);
    return {
      kc,
      external: true,
      phalanxScheduler: PHALANX_SCHEDULER,
      stockScheduler: 'default-scheduler',
      nodes: await listGpuNodes(kc),
      scheduler: () => undefined,
      stop: () => Promise.resolve(),
    };
  }
  const k8sVersion = selectedK8sVersion();
  const extenderPort = extenderPortFor(opts.name);
  const kwokctlArgs = [
    '--disable', 'kube-scheduler',
    '--disable', 'kwok-controller',
    // As scheduler_perf: no not-ready taint at creation, so nodes created Ready are usable at once.
    '--extra-args', 'kube-apiserver=disable-admission-plugins=TaintNodesByCondition',
    '--extra-args', 'kube-controller-manager=node-monitor-grace-period=24h',
    '--extra-args', 'kube-controller-manager=node-startup-grace-period=24h',
  ]; // prettier-ignore
  if (opts.featureGates) kwokctlArgs.push('--kube-feature-gates', opts.featureGates);
  if (opts.runtimeConfig) kwokctlArgs.push('--kube-runtime-config', opts.runtimeConfig);
  const cluster = await clusterUp({
    name: opts.name,
    fabricFile: opts.fabricFile,
    extenderPort,
    k8sVersion,
    kwokctlArgs,
    kwokManagedNodes: false,
    log: opts.log,
  });
  // One connection pool for the bench's own requests (pod creations, watches): with client-node's
  // Agent per call, each created pod cost the API server a TLS handshake inside a streamed run's window.
  const kc = new PooledKubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const dir = join(cluster.stateDir, 'bench');
  await mkdir(dir, { recursive: true });

  // The extender over mutual TLS with the cluster's certificates, as deploy/ ships it; readiness on
  // the admin port.
  const extenderUrl = `https://127.0.0.1:${extenderPort}`;
  const adminPort = extenderPort + 1000;
  const tls = cluster.extenderTls;
  const phalanxEnv = {
    PHALANX_EXTENDER_TLS_CERT_FILE: tls.serverCertFile,
    PHALANX_EXTENDER_TLS_KEY_FILE: tls.serverKeyFile,
    PHALANX_EXTENDER_TLS_CLIENT_CA_FILE: tls.caFile,
    PHALANX_ADMIN_HOST: '127.0.0.1',
    PHALANX_ADMIN_PORT: String(adminPort),
  };
  const prof = opts.cpuProf ? `--cpu-prof --cpu-prof-dir '${join(REPO_ROOT, 'benchmarks/results')}' ` : '';
  const policy = opts.policy ? ` --policy '${opts.policy}'` : '';
  // No kubelet runs the bench nodes, so no GPU reservation pod would ever report its device: shares
  // stay ledger entries, as before reservations existed (bench:fractions measures reservations).
  const configFile = join(dir, 'phalanx-config.yaml');
  await writeFile(configFile, stringify({ ...opts.phalanxConfig, reservations: { enabled: false } }));
  const command =
    `cd '${REPO_ROOT}' && exec '${process.execPath}' ${SERVE_NODE_OPTIONS.join(' ')} ${prof}--import tsx src/cli/main.ts serve` +
    ` --config '${configFile}' --kubeconfig '${cluster.kubeconfig}' --extender-host 127.0.0.1` +
    ` --extender-port ${extenderPort} --no-webhook --log-level warn${policy}`;
  await writeFile(join(cluster.stateDir, PHALANX_LOG), '');
  const schedulers: SchedulerProcess[] = [];
  let phalanxPid: number | undefined;
  const stopProcesses = async (): Promise<void> => {
    for (const s of schedulers) await s.stop();
    await stopPhalanx(cluster.stateDir);
  };
  try {
    phalanxPid = await startPhalanx({
      command,
      kubeconfig: cluster.kubeconfig,
      stateDir: cluster.stateDir,
      env: phalanxEnv,
    });
    await waitReady(`http://127.0.0.1:${adminPort}/readyz`, PHALANX_READY_MS);
    opts.log(`Phalanx ready on ${extenderUrl}`);
    const binary = binaryPaths(k8sVersion).kubeScheduler;
    const common = {
      binary,
      kubeconfig: cluster.kubeconfig,
      dir,
      ...(opts.featureGates ? { featureGates: opts.featureGates } : {}),
    };
    const extenderTls = { certFile: tls.clientCertFile, keyFile: tls.clientKeyFile, caFile: tls.caFile };
    const pprof = (profile: string) =>
      opts.schedulerPprof ? { pprofPort: pprofPortOf(extenderPort, profile) } : {};
    schedulers.push(
      await startScheduler({
        ...common,
        ...pprof(PHALANX_SCHEDULER),
        profile: PHALANX_SCHEDULER,
        extenderUrl,
        extenderTls,
      }),
    );
    schedulers.push(await startScheduler({ ...common, ...pprof(STOCK_SCHEDULER), profile: STOCK_SCHEDULER }));
    await probeSchedulers(kc, [PHALANX_SCHEDULER, STOCK_SCHEDULER]);
    opts.log('both kube-schedulers bind pods');
  } catch (err) {
    await stopProcesses();
    throw err;
  }

  return {
    kc,
    external: false,
    phalanxScheduler: PHALANX_SCHEDULER,
    stockScheduler: STOCK_SCHEDULER,
    nodes: await listGpuNodes(kc),
    phalanxLog: join(cluster.stateDir, PHALANX_LOG),
    metricsUrl: `http://127.0.0.1:${adminPort}/metrics`,
    scheduler: (profile) => schedulers.find((s) => s.profile === profile),
    pprofUrl: (profile) =>
      opts.schedulerPprof ? `https://127.0.0.1:${pprofPortOf(extenderPort, profile)}` : undefined,
    cpu: (profile) =>
      cpuSampler({
        scheduler: schedulers.find((s) => s.profile === profile)?.child.pid,
        phalanx: phalanxPid,
        apiserver: findPid(`/clusters/${opts.name}/bin/kube-apiserver`),
        etcd: findPid(`/clusters/${opts.name}/bin/etcd`),
      }),
    async stop() {
      await stopProcesses();
      if (!opts.keepCluster) await clusterDown(opts.name);
    },
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** One CPU-only pod per scheduler, bound within 60 s, then removed: both are up and connected. */
async function probeSchedulers(kc: KubeConfig, schedulers: readonly string[]): Promise<void> {
  const namespace = 'bench-probe';
  await ensureNamespace(kc, namespace);
  const core = kc.makeApiClient(CoreV1Api);
  const watch = await watchPods(kc, namespace);
  try {
    for (const schedulerName of schedulers) {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: `probe-${schedulerName}` },
          spec: { schedulerName, containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
        },
      });
    }
    const ok = await watch.until(() => watch.boundCount() === schedulers.length, 60_000);
    if (!ok) throw new Error(`probe pods not bound by ${schedulers.join(', ')} within 60 s`);
  } finally {
    watch.stop();
    await forceDeletePods(kc, namespace);
  }
}

/** Nodes with allocatable GPUs, with the topology labels Phalanx reads. */
export async function listGpuNodes(kc: KubeConfig): Promise<BenchNode[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const nodes: BenchNode[] = [];
  let _continue: string | undefined;
  do {
    const page = await core.listNode({ limit: 1000, ...(_continue ? { _continue } : {}) });
    for (const n of page.items) {
      const gpus = Number(n.status?.allocatable?.[Resource.nvidiaGpu] ?? 0);
      if (!(gpus > 0)) continue;
      const labels = n.metadata?.labels ?? {};
      const name = n.metadata?.name ?? '';
      nodes.push({
        name,
        gpus,
        clique: labels[NodeLabel.clique] ?? `node:${name}`,
        rack: labels[NodeLabel.leaf] ?? 'rack:none',
        zone: labels[NodeLabel.zone] ?? 'zone:none',
      });
    }
    _continue = page.metadata?._continue;
  } while (_continue);
  return nodes;
}
